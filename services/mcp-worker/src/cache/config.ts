/**
 * Environment variables of the response cache. `cacheEnvShape` is a zod object
 * shape that the worker's `config.ts` spreads into its own schema and parses
 * once with `parseEnv`; every problem is reported under the variable's name.
 */
import { env } from '@moodle-mcp/common';
import { z } from 'zod';

/** Moodle web service function names: lower-case words joined by underscores. */
export const WSFUNCTION_PATTERN = /^[a-z][a-z0-9_]*$/;
/** Longest TTL an override may set: one week, in seconds. */
const MAX_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Parses `fn=seconds,fn=seconds` (spaces allowed around items). Returns the
 * overrides or a message that says what is wrong (the caller names the variable).
 */
export function parseTtlOverrides(text: string): { ok: true; value: Record<string, number> } | { ok: false; message: string } {
  const value: Record<string, number> = {};
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const m = /^([^=\s]+)\s*=\s*(\d+)$/.exec(item);
    if (!m) return { ok: false, message: `"${item}" is not function=seconds (expected e.g. core_course_get_courses=600,mod_assign_get_grades=15)` };
    const [, fn, secs] = m as unknown as [string, string, string];
    if (!WSFUNCTION_PATTERN.test(fn)) return { ok: false, message: `"${fn}" is not a Moodle function name (lower-case letters, digits and _)` };
    const n = Number(secs);
    if (n > MAX_TTL_SECONDS) return { ok: false, message: `${fn}: ${n} s is more than the maximum of ${MAX_TTL_SECONDS} s` };
    if (fn in value) return { ok: false, message: `${fn} is given twice` };
    value[fn] = n;
  }
  return { ok: true, value };
}

const ttlOverrides = z
  .string()
  .default('')
  .transform((text, ctx) => {
    const parsed = parseTtlOverrides(text);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: parsed.message });
    return z.NEVER;
  });

export const redisUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
  } catch {
    return false;
  }
}, 'must be a redis:// or rediss:// URL, e.g. redis://redis:6379');

export const cacheEnvShape = {
  /** Redis for the shared cache. Unset → no shared cache (pass-through, in-process coalescing only). */
  REDIS_URL: redisUrl.optional(),
  /** Secret. Sent with AUTH; never logged. A password inside REDIS_URL works too. */
  REDIS_PASSWORD: z.string().min(4, 'must be at least 4 characters').optional(),
  /** First segment of every key and channel, so several stacks can share one Redis. */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'must be 1-32 characters of A-Z a-z 0-9 _ . -')
    .default('mcp'),
  /** false → pass-through even when REDIS_URL is set. */
  CACHE_ENABLED: env.bool(true),
  /** Freshness of functions without their own entry in the TTL table, seconds. */
  CACHE_TTL_DEFAULT_SECONDS: env.int(60, 0, MAX_TTL_SECONDS),
  /** `fn=seconds,...`; 0 means "never cache this function". */
  CACHE_TTL_OVERRIDES: ttlOverrides,
  /** How long past its TTL an entry may still be served (marked stale) when Moodle fails transiently, seconds. */
  CACHE_STALE_MAX_AGE_SECONDS: env.int(3600, 0, MAX_TTL_SECONDS),
  /** Serialized answers larger than this are not stored (counted as bypass), bytes. */
  CACHE_MAX_ENTRY_BYTES: env.int(1024 * 1024, 1024, 64 * 1024 * 1024),
  /**
   * The worker's near cache of entries read from Redis, kept coherent by
   * Redis's key-change notices (see local-entries.ts): bytes of entries as
   * stored (decoded they take a few times more memory); 0 turns it off.
   */
  CACHE_LOCAL_MAX_BYTES: env.int(16 * 1024 * 1024, 0, 1024 * 1024 * 1024),
  /**
   * Longest wait for any one Redis command before the call goes on without
   * the cache (and Redis is skipped for a cool-down), ms. Not much less: a
   * worker busy with a burst of calls reads Redis's replies late (Node runs
   * due timers before it reads sockets), and counting that as a dead Redis
   * would send the whole burst to Moodle. A dead connection is seen at once.
   */
  REDIS_COMMAND_TIMEOUT_MS: env.int(1000, 10, 10_000),
  /**
   * Lifetime of a fill lock, ms. The owner renews it every third of this while
   * it waits for Moodle, so it only bounds how long a dead owner blocks others.
   */
  CACHE_LOCK_TTL_MS: env.int(5000, 100, 120_000),
  /**
   * Longest a caller waits for another worker's fill before calling Moodle
   * itself, ms. Only reached when the filler is alive but stuck (a dead one
   * is noticed by its lock expiring); the default covers a Moodle timeout of
   * 15 s plus one retry.
   */
  CACHE_WAIT_TIMEOUT_MS: env.int(30_000, 100, 300_000),
};

export const cacheEnvSchema = z.object(cacheEnvShape);
/** The parsed cache configuration (the worker's parsed config is a superset). */
export type CacheConfig = z.infer<typeof cacheEnvSchema>;

/** Every secret in the cache configuration, for the logger's redaction list. */
export function cacheSecrets(config: Pick<CacheConfig, 'REDIS_URL' | 'REDIS_PASSWORD'>): string[] {
  const secrets: string[] = [];
  if (config.REDIS_PASSWORD) secrets.push(config.REDIS_PASSWORD);
  if (config.REDIS_URL) {
    const password = new URL(config.REDIS_URL).password;
    if (password) secrets.push(decodeURIComponent(password));
  }
  return secrets;
}

/** `host:port` of the Redis URL — what logs may say about where Redis is. */
export function redisEndpoint(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '6379'}`;
}
