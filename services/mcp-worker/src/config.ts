import os from 'node:os';
import { z } from 'zod';
import { env, parseEnv } from '@moodle-mcp/common';
import { cacheEnvShape } from './cache/config.js';

/**
 * Every environment variable of the worker, validated once at start (see
 * .env.example for the operator's view). Nothing else reads process.env.
 */
export const workerEnvSchema = z.object({
  MOODLE_URL: env
    .url()
    .describe('Moodle site root')
    // Operators often paste the REST endpoint itself; the client adds it.
    .transform((u) => u.replace(/\/webservice\/rest\/server\.php$/, '').replace(/\/+$/, '')),
  MOODLE_TOKEN: z.string().min(8, 'must be a Moodle web service token (at least 8 characters)').regex(/^\S+$/, 'must not contain white space'),
  MOODLE_TIMEOUT_MS: env.int(15_000, 100, 600_000),
  MOODLE_MAX_SOCKETS: env.int(64, 1, 10_000),
  MOODLE_RETRIES: env.int(2, 0, 10),
  /** Consecutive transient Moodle failures that open the circuit breaker; 0 turns it off. */
  MOODLE_CIRCUIT_THRESHOLD: env.int(5, 0, 1000),
  MOODLE_CIRCUIT_COOLDOWN_MS: env.int(10_000, 100, 600_000),
  MOODLE_DEFAULT_COURSE_ID: z
    .string()
    .regex(/^[1-9]\d{0,9}$/, 'must be a course id (a positive whole number)')
    .transform(Number)
    .optional(),
  /** Set by the runners when MOODLE_URL is the built-in simulator. */
  MOODLE_DEMO: env.bool(false),
  MCP_HOST: z.string().default('0.0.0.0'),
  MCP_PORT: env.port(3000),
  HTTP_HOST: z.string().default('0.0.0.0'),
  HTTP_PORT: env.port(9464),
  MAX_LINE_BYTES: env.int(1024 * 1024, 1024, 64 * 1024 * 1024),
  MAX_PENDING_WRITE_BYTES: env.int(8 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
  /** Requests of one TCP/stdio session worked on at once; past it the worker stops reading that session until an answer goes out. */
  SESSION_MAX_UNANSWERED: env.int(32, 1, 10_000),
  /** Shared by TCP connections and Streamable HTTP sessions (/mcp on HTTP_PORT). */
  MAX_SESSIONS: env.int(20_000, 1, 1_000_000),
  /** An HTTP MCP session with no request in progress for this long is closed, ms (1 s to 24 h). */
  HTTP_SESSION_IDLE_TIMEOUT_MS: env.int(30 * 60_000, 1_000, 24 * 3_600_000),
  /**
   * A PROXY protocol v2 header at the start of each MCP_PORT connection (HAProxy's
   * send-proxy-v2): the client's real address and TLS identity. `required` refuses
   * connections without one; `optional` also serves clients connecting directly
   * (their session opens with their first bytes, not at connect). Off by
   * default: the runners that put HAProxy in front (native, compose) set it.
   */
  PROXY_PROTOCOL: z.enum(['off', 'optional', 'required'], { message: 'must be off, optional or required' }).default('off'),
  /** tools/call per second one session may make on average (0: no limit), and at once after a pause. */
  SESSION_CALL_RATE: env.int(50, 0, 100_000),
  SESSION_CALL_BURST: env.int(100, 1, 100_000),
  ALLOW_WRITES: env.bool(true),
  DRAIN_TIMEOUT_MS: env.int(10_000, 0, 600_000),
  READY_CHECK_INTERVAL_MS: env.int(15_000, 500, 3_600_000),
  WORKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, dot, dash or underscore')
    .default(
      os
        .hostname()
        .slice(0, 64)
        .replace(/[^A-Za-z0-9_.-]/g, '-'),
    ),
  LOG_LEVEL: env.logLevel(),
  // The shared Redis response cache (see cache/config.ts).
  ...cacheEnvShape,
});

export type WorkerConfig = z.infer<typeof workerEnvSchema>;

export function loadWorkerConfig(source: Record<string, string | undefined>): WorkerConfig {
  return parseEnv('mcp-worker', workerEnvSchema, source);
}
