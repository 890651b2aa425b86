/**
 * Command-line options of the benchmark scripts, from one table per script:
 * whole numbers with a range, comma-separated lists of whole numbers, and
 * flags. Every mistake is reported naming the option (`--workers needs a whole
 * number from 1 to 16 (got "many")`); `--help` prints the usage.
 */
export interface IntOption {
  kind: 'int';
  default: number;
  min: number;
  max: number;
  help: string;
}
export interface ListOption {
  kind: 'list';
  default: number[];
  min: number;
  max: number;
  help: string;
}
export interface FlagOption {
  kind: 'flag';
  help: string;
}
export interface StringOption {
  kind: 'string';
  default: string;
  help: string;
}
export type OptionSpec = Record<string, IntOption | ListOption | FlagOption | StringOption>;
export type Parsed<S extends OptionSpec> = {
  [K in keyof S]: S[K] extends FlagOption ? boolean : S[K] extends ListOption ? number[] : S[K] extends StringOption ? string : number;
};

export const int = (def: number, min: number, max: number, help: string): IntOption => ({ kind: 'int', default: def, min, max, help });
export const list = (def: number[], min: number, max: number, help: string): ListOption => ({ kind: 'list', default: def, min, max, help });
export const flag = (help: string): FlagOption => ({ kind: 'flag', help });
export const str = (def: string, help: string): StringOption => ({ kind: 'string', default: def, help });

/** A bad command line: the caller prints the message and exits 2. */
export class UsageError extends Error {}

export function usage(script: string, summary: string, spec: OptionSpec): string {
  const lines = Object.entries(spec).map(([name, o]) => {
    const arg = o.kind === 'flag' ? '' : o.kind === 'list' ? ' N,N,..' : o.kind === 'string' ? ' TEXT' : ' N';
    const def =
      o.kind === 'flag'
        ? ''
        : o.kind === 'list'
          ? ` (default ${o.default.join(',')})`
          : o.kind === 'string'
            ? o.default
              ? ` (default ${o.default})`
              : ''
            : ` (default ${o.default})`;
    return `  --${(name + arg).padEnd(22)} ${o.help}${def}`;
  });
  return `Usage: node bench/dist/${script} [options]\n\n${summary}\n\nOptions:\n${lines.join('\n')}\n  --help                   this text`;
}

function wholeNumber(name: string, raw: string | undefined, min: number, max: number): number {
  const v = Number(raw);
  if (raw === undefined || raw.startsWith('--') || !/^\d+$/.test(raw) || v < min || v > max)
    throw new UsageError(`--${name} needs a whole number from ${min} to ${max} (got ${raw === undefined ? 'nothing' : JSON.stringify(raw)})`);
  return v;
}

/** Parses `argv` (without node and the script); throws UsageError naming the bad option. Returns undefined for --help. */
export function parseOptions<S extends OptionSpec>(argv: string[], spec: S): Parsed<S> | undefined {
  const out: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec)) out[name] = o.kind === 'flag' ? false : o.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return undefined;
    const name = arg.startsWith('--') ? arg.slice(2) : '';
    const o = spec[name];
    if (!o)
      throw new UsageError(
        `unknown option ${JSON.stringify(arg)}; options: ${Object.keys(spec)
          .map((k) => '--' + k)
          .join(' ')} --help`,
      );
    if (o.kind === 'flag') {
      out[name] = true;
      continue;
    }
    const raw = argv[++i];
    if (o.kind === 'int') out[name] = wholeNumber(name, raw, o.min, o.max);
    else if (o.kind === 'string') {
      if (raw === undefined || raw === '' || raw.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      out[name] = raw;
    } else {
      if (raw === undefined || raw.startsWith('--')) throw new UsageError(`--${name} needs a comma-separated list of whole numbers from ${o.min} to ${o.max}`);
      out[name] = raw.split(',').map((part) => wholeNumber(name, part.trim(), o.min, o.max));
    }
  }
  return out as Parsed<S>;
}

/**
 * The entry point of a benchmark script: parses the options (exit 2 with the
 * message on a bad one, usage on --help), runs `main`, and exits 1 with
 * "<what> failed: <reason>" when it throws (2 for a UsageError it throws).
 */
export function runScript<S extends OptionSpec>(what: string, script: string, summary: string, spec: S, main: (o: Parsed<S>) => Promise<void>): void {
  let options: Parsed<S> | undefined;
  try {
    options = parseOptions(process.argv.slice(2), spec);
  } catch (err) {
    process.stderr.write(`${what}: ${(err as Error).message}\n\n${usage(script, summary, spec)}\n`);
    process.exit(2);
  }
  if (!options) {
    process.stdout.write(usage(script, summary, spec) + '\n');
    return;
  }
  main(options).catch((err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${what}: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${what} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
