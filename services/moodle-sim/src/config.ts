/**
 * The simulator's environment, read once in main.ts. Every bad variable is
 * reported by name; the token value is never echoed.
 */
import { z } from 'zod';
import { env, parseEnv } from '@moodle-mcp/common';
import { DEMO_TOKEN } from './auth/tokens.js';

const schema = z.object({
  SIM_HOST: z.string().min(1).default('127.0.0.1'),
  SIM_PORT: env.port(8088),
  SIM_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9]{32,128}$/, 'must be 32 to 128 letters or digits')
    .default(DEMO_TOKEN),
  SIM_LATENCY_MS: env.int(0, 0, 600000),
  SIM_DEBUG: env.bool(false),
  LOG_LEVEL: env.logLevel('info'),
});

export type SimConfig = z.infer<typeof schema>;

export function loadConfig(source: Record<string, string | undefined>): SimConfig {
  return parseEnv('moodle-sim', schema, source);
}
