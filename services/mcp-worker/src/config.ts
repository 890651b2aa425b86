import os from 'node:os';
import { z } from 'zod';
import { ConfigError, env, parseEnv } from '@moodle-mcp/common';
import { cacheEnvShape, redisUrl } from './cache/config.js';
import { parseRegistryKey } from './teachers/cipher.js';
import { TEACHER_NAME_PATTERN } from './teachers/registry.js';

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
  /**
   * IDENTITY_MODE=shared: the one token every client acts with. Per-teacher:
   * over stdio, the teacher's own token; on the network, optional (each
   * teacher's token comes from the registry).
   */
  MOODLE_TOKEN: z.string().min(8, 'must be a Moodle web service token (at least 8 characters)').regex(/^\S+$/, 'must not contain white space').optional(),
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
  /**
   * per-teacher: a session acts as its teacher's own Moodle user (client
   * certificate CN → teacher registry; stdio: MOODLE_TOKEN is the teacher's).
   * shared: every client acts as MOODLE_TOKEN's user (an explicit choice,
   * warned about). Unset: per-teacher, except on the demo Moodle without a
   * registry (shared).
   */
  IDENTITY_MODE: z.enum(['per-teacher', 'shared'], { message: 'must be per-teacher or shared' }).optional(),
  /** The teacher registry's Redis (per-teacher mode on the network); not the cache's, which keeps nothing. */
  REGISTRY_URL: redisUrl.optional(),
  /** Secret. */
  REGISTRY_PASSWORD: z.string().min(4, 'must be at least 4 characters').optional(),
  /** Secret: encrypts the teachers' tokens at rest (32 bytes: 64 hex digits or base64). */
  REGISTRY_KEY: z
    .string()
    .transform((text, ctx) => {
      const parsed = parseRegistryKey(text);
      if (parsed.ok) return parsed.key;
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    })
    .optional(),
  REGISTRY_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'must be 1-32 characters of A-Z a-z 0-9 _ . -')
    .default('mcp'),
  /**
   * Demo only (MOODLE_DEMO=true): connections without a client certificate
   * (the plain port, HTTP) act as this enrolled teacher, so a newcomer can try
   * the stack with one line. Refused with a real Moodle.
   */
  UNIDENTIFIED_TEACHER: z.string().regex(TEACHER_NAME_PATTERN, 'must be a teacher name (letters, digits, . _ @ -)').optional(),
  /** tools/call per second one teacher may make on average over all their sessions and all workers (0: no limit), and at once. */
  TEACHER_CALL_RATE: env.int(50, 0, 100_000),
  TEACHER_CALL_BURST: env.int(100, 1, 100_000),
  LOG_LEVEL: env.logLevel(),
  // The shared Redis response cache (see cache/config.ts).
  ...cacheEnvShape,
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;
export type IdentityMode = 'per-teacher' | 'shared';

/** The parsed environment with the identity mode settled. */
export type WorkerConfig = WorkerEnv & { IDENTITY_MODE: IdentityMode };

/** The worker's mode: 'tcp' serves the network (TCP and HTTP); 'stdio' one local session. */
export type WorkerMode = 'tcp' | 'stdio';

export function loadWorkerConfig(source: Record<string, string | undefined>, mode: WorkerMode = 'tcp'): WorkerConfig {
  const parsed = parseEnv('mcp-worker', workerEnvSchema, source);
  const identity: IdentityMode = parsed.IDENTITY_MODE ?? (parsed.MOODLE_DEMO && !parsed.REGISTRY_URL ? 'shared' : 'per-teacher');
  const problems: string[] = [];
  // Whose token a session uses must be settled at start: each of these would otherwise fail every call.
  if (parsed.MOODLE_TOKEN === undefined && (identity === 'shared' || mode === 'stdio')) {
    problems.push(`MOODLE_TOKEN: required${identity === 'shared' ? ' with IDENTITY_MODE=shared (the one token every client acts with)' : ' over stdio (the teacher\'s own Moodle token)'}`);
  }
  if (identity === 'per-teacher' && mode === 'tcp') {
    const why = parsed.IDENTITY_MODE ? '' : ' (per-teacher is the default with a real Moodle; IDENTITY_MODE=shared makes every client act as MOODLE_TOKEN\'s user)';
    if (!parsed.REGISTRY_URL) problems.push(`REGISTRY_URL: required in per-teacher mode: the teacher registry's Redis${why}`);
    if (!parsed.REGISTRY_KEY) problems.push(`REGISTRY_KEY: required in per-teacher mode: the key the teachers' tokens are encrypted under${why}`);
  }
  if (parsed.UNIDENTIFIED_TEACHER && !parsed.MOODLE_DEMO) problems.push('UNIDENTIFIED_TEACHER: only for the demo Moodle (MOODLE_DEMO=true); with a real Moodle every teacher connects with their own certificate');
  if (parsed.UNIDENTIFIED_TEACHER && identity === 'shared') problems.push('UNIDENTIFIED_TEACHER: has no effect with IDENTITY_MODE=shared');
  if (problems.length) throw new ConfigError('mcp-worker', problems);
  return { ...parsed, IDENTITY_MODE: identity };
}
