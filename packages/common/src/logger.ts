import winston from 'winston';

export interface LoggerOptions {
  service: string;
  level?: string;
  /**
   * Where JSON lines go. In stdio mode the protocol owns stdout, so every log
   * line must go to stderr.
   */
  stream?: 'stdout' | 'stderr';
  /** Secret values that must never be written; each is replaced by "[redacted]". */
  secrets?: (string | undefined)[];
  /**
   * Secrets learnt while running (e.g. teachers' tokens as they are enrolled):
   * read at every entry, so adding to or deleting from the set takes effect at once.
   */
  liveSecrets?: ReadonlySet<string>;
  /** Extra transports (files, or a capture in tests). */
  transports?: winston.transport[];
  /** Write to the console (default true; tests capture instead). */
  console?: boolean;
}

export type Logger = winston.Logger;

const REDACTED = '[redacted]';

/** Replaces every occurrence of each secret in every string of a log entry. */
function redactor(secrets: string[], live?: ReadonlySet<string>) {
  const scrub = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') {
      let out = value;
      for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
      if (live) for (const s of live) if (s.length >= 4 && out.includes(s)) out = out.split(s).join(REDACTED);
      return out;
    }
    if (depth > 6 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) copy[k] = scrub(v, depth + 1);
    return copy;
  };
  return winston.format((info) => {
    if (secrets.length === 0 && !live?.size) return info;
    for (const key of Object.keys(info)) (info as Record<string, unknown>)[key] = scrub(info[key], 0);
    return info;
  })();
}

/**
 * JSON logs, one object per line, with `time`, `level`, `service` and `message`
 * on every entry; callers add `sessionId`, `tool`, `durationMs`, ... as fields.
 */
export function createLogger(opts: LoggerOptions): Logger {
  // Secrets shorter than 4 characters would redact ordinary words; config
  // validation refuses them, this is only a guard.
  const secrets = (opts.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 4);
  const stream = opts.stream ?? 'stdout';
  const logger = winston.createLogger({
    level: opts.level ?? 'info',
    defaultMeta: { service: opts.service },
    format: winston.format.combine(
      winston.format.timestamp({ alias: 'time' }),
      winston.format.errors({ stack: false }),
      redactor(secrets, opts.liveSecrets),
      winston.format((info) => {
        delete (info as Record<string, unknown>).timestamp;
        return info;
      })(),
      winston.format.json(),
    ),
    transports: [
      ...(opts.console === false
        ? []
        : [new winston.transports.Console({ stderrLevels: stream === 'stderr' ? ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] : [] })]),
      ...(opts.transports ?? []),
    ],
  });
  skipDisabledLevels(logger);
  return logger;
}

/**
 * winston formats every entry (timestamp, redaction, JSON) before its
 * transports drop the ones below their level: at LOG_LEVEL=warn a worker
 * spent about 4 % of its time formatting "tool call" lines nobody writes.
 * Each level's method now returns at once when no transport takes that level
 * (`isLevelEnabled` follows later changes of `logger.level`).
 */
function skipDisabledLevels(logger: Logger): void {
  const methods = logger as unknown as Record<string, (...args: unknown[]) => Logger>;
  for (const level of Object.keys(logger.levels)) {
    const write = methods[level];
    if (typeof write !== 'function') continue;
    // A function, not an arrow: child loggers (logger.child) inherit these methods and must stay `this`.
    methods[level] = function (this: Logger, ...args: unknown[]) {
      return this.isLevelEnabled(level) ? write.apply(this, args) : this;
    };
  }
}
