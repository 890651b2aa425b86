/**
 * The environment of the teachers CLI (teachersCli.ts), validated once with
 * parseEnv: every bad variable is named, no value is echoed. Each variable
 * has the worker's meaning and the worker's schema (config.ts), so the CLI
 * and the workers cannot disagree about a key, a URL or a prefix; only
 * MOODLE_SERVICE is the CLI's own (the worker never logs in).
 *
 * Which variables are required depends on the command: only `add` and
 * `rotate` talk to Moodle (MOODLE_URL), and `revoke` never decrypts, so it
 * works without REGISTRY_KEY (an operator who lost the key can still remove
 * teachers).
 */
import { parseEnv } from '@moodle-mcp/common';
import { z } from 'zod';
import { workerEnvSchema } from '../config.js';

const w = workerEnvSchema.shape;

/** Moodle's external service short names: PARAM_ALPHANUMEXT. */
const SERVICE_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;

/** `schema`, with a message that says what to set when the variable is missing. */
const required = <T extends z.ZodType<unknown, string>>(schema: T, what: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `is not set: ${what}` : undefined) }).pipe(schema);

const baseShape = {
  REGISTRY_URL: required(w.REGISTRY_URL.unwrap(), "the registry's Redis, e.g. redis://127.0.0.1:6380 (scripts/teachers.sh sets it for the native stack)"),
  REGISTRY_PASSWORD: w.REGISTRY_PASSWORD,
  REGISTRY_KEY: w.REGISTRY_KEY,
  REGISTRY_KEY_PREFIX: w.REGISTRY_KEY_PREFIX,
  MOODLE_URL: w.MOODLE_URL.optional(),
  /** The external service whose token `add --moodle-username` asks Moodle for (login/token.php). */
  MOODLE_SERVICE: z.string().regex(SERVICE_PATTERN, 'must be the short name of a Moodle external service (letters, digits, _ -)').default('moodle_mcp'),
  MOODLE_TIMEOUT_MS: w.MOODLE_TIMEOUT_MS,
};

/** What a Moodle token must look like (the worker's MOODLE_TOKEN rule). */
export const TOKEN_SCHEMA = w.MOODLE_TOKEN.unwrap();

export interface CliNeeds {
  /** The command talks to Moodle. */
  moodle: boolean;
  /** The command decrypts or encrypts tokens. */
  key: boolean;
}

const schemaFor = (needs: CliNeeds) =>
  z.object({
    ...baseShape,
    ...(needs.moodle ? { MOODLE_URL: required(w.MOODLE_URL, 'the Moodle site root, e.g. https://moodle.school.example') } : {}),
    ...(needs.key ? { REGISTRY_KEY: required(w.REGISTRY_KEY.unwrap(), 'the key the workers encrypt tokens with (or REGISTRY_KEY_FILE)') } : {}),
  });

export interface CliConfig {
  REGISTRY_URL: string;
  REGISTRY_PASSWORD?: string;
  /** Absent only for commands that do not need it. */
  REGISTRY_KEY?: Buffer;
  REGISTRY_KEY_PREFIX: string;
  MOODLE_URL?: string;
  MOODLE_SERVICE: string;
  MOODLE_TIMEOUT_MS: number;
}

/** Throws a ConfigError naming every bad or missing variable. */
export function loadCliConfig(source: Record<string, string | undefined>, needs: CliNeeds): CliConfig {
  return parseEnv('moodle-mcp-teachers', schemaFor(needs), source) as CliConfig;
}

/** Every secret of the configuration, for the output's redaction list. */
export function cliSecrets(config: CliConfig): string[] {
  const out: string[] = [];
  if (config.REGISTRY_PASSWORD) out.push(config.REGISTRY_PASSWORD);
  const urlPassword = new URL(config.REGISTRY_URL).password;
  if (urlPassword) out.push(decodeURIComponent(urlPassword));
  if (config.REGISTRY_KEY) {
    const hex = config.REGISTRY_KEY.toString('hex');
    out.push(hex, hex.toUpperCase(), config.REGISTRY_KEY.toString('base64'), config.REGISTRY_KEY.toString('base64url'));
  }
  return out;
}
