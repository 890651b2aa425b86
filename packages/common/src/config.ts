import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.js';

/** Suffix of a variable that names a file holding the value (Docker secrets: MOODLE_TOKEN_FILE=/run/secrets/moodle_token). */
const FILE_SUFFIX = '_FILE';

/**
 * Parses `env` (normally `process.env`) with a zod object schema whose keys are
 * the variable names. Every problem is reported at once, each naming its
 * variable; values are never echoed, so a mistyped secret does not leak into
 * the start-up error.
 */
export function parseEnv<S extends z.ZodObject>(service: string, schema: S, env: Record<string, string | undefined>): z.infer<S> {
  // Empty strings count as unset, so `FOO=` in an .env file means "use the default".
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const fileProblems = readFileVariables(Object.keys(schema.shape), cleaned);
  const result = schema.safeParse(cleaned);
  if (result.success && fileProblems.length === 0) return result.data;
  const problems = (result.success ? [] : result.error.issues)
    .map((issue) => {
      const name = issue.path.length ? issue.path.map(String).join('.') : '(environment)';
      return `${name}: ${issue.message}`;
    })
    .filter((p) => !fileProblems.some((f) => p.startsWith(`${f.name}:`)));
  throw new ConfigError(service, [...fileProblems.map((f) => f.problem), ...problems]);
}

/**
 * Every variable NAME of the schema may instead be given as NAME_FILE, the
 * path of a file holding its value (Docker and Compose secrets, mounted under
 * /run/secrets), so a secret need not sit in the environment. One trailing
 * newline is removed. Fills `env` in place; problems name NAME_FILE and the
 * path, never the content.
 */
function readFileVariables(names: string[], env: Record<string, string>): { name: string; problem: string }[] {
  const problems: { name: string; problem: string }[] = [];
  for (const name of names) {
    const path = env[name + FILE_SUFFIX];
    if (path === undefined) continue;
    const problem = (why: string) => problems.push({ name, problem: `${name}${FILE_SUFFIX}: ${why}` });
    if (env[name] !== undefined) {
      problem(`${name} is set too; set one of them`);
      continue;
    }
    let value: string;
    try {
      value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problem(`cannot read ${path} (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'a directory' : code ?? 'error'})`);
      continue;
    }
    if (value === '') problem(`${path} is empty`);
    else env[name] = value;
  }
  return problems;
}

/** Environment helpers: strict conversions with messages an operator can act on. */
export const env = {
  int(def: number, min = 0, max = Number.MAX_SAFE_INTEGER) {
    return z
      .string()
      .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
      .transform(Number)
      .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
      .default(def);
  },
  port(def: number) {
    return env.int(def, 0, 65535);
  },
  bool(def: boolean) {
    return z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .default(def);
  },
  url() {
    return z.string().refine((v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    }, 'must be an http:// or https:// URL');
  },
  logLevel(def = 'info') {
    return z.enum(['error', 'warn', 'info', 'debug'], { message: 'must be one of error, warn, info, debug' }).default(def as 'info');
  },
};
