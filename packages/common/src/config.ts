import { z } from 'zod';
import { ConfigError } from './errors.js';

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
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.length ? issue.path.map(String).join('.') : '(environment)';
    return `${name}: ${issue.message}`;
  });
  throw new ConfigError(service, problems);
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
