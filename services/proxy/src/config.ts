import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, env, parseEnv } from '@moodle-mcp/common';

/**
 * The proxy's configuration: a JSON file (PROXY_CONFIG_FILE, default
 * services/proxy/config/default.json) describing the worker pools, with a few
 * environment variables on top. Validated once in main.ts; nothing else reads
 * process.env. Every problem is reported at once, naming the variable or the
 * file's field; secret values are never echoed.
 */

const name = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, dot, dash or underscore');
const port = z.number().int().min(1).max(65535);

const workerSchema = z.strictObject({
  /** The server's name in HAProxy's backend (e.g. worker-1). */
  name,
  host: z.string().min(1).default('127.0.0.1'),
  /** The worker's MCP TCP port (NDJSON). */
  mcpPort: port,
  /** The worker's HTTP port (/ready, /mcp). */
  httpPort: port,
  /**
   * The worker expects a PROXY protocol v2 header on its MCP port (its
   * PROXY_PROTOCOL is required or optional): deep checks then open with the
   * LOCAL command, which says "the proxy itself, no client".
   */
  proxyProtocol: z.boolean().default(false),
});

const targetSchema = z.strictObject({
  name,
  /** Lower is preferred: failover picks the healthy target with the lowest priority number. */
  priority: z.number().int().min(0).max(1000),
  /** The target is healthy while at least this many of its workers pass their checks. */
  minHealthy: z.number().int().min(1).default(1),
  /** The worker path checked besides the MCP handshake. */
  healthPath: z.string().startsWith('/').default('/ready'),
  workers: z.array(workerSchema).min(1, 'a target needs at least one worker'),
});

export const fileSchema = z.strictObject({
  server: z.strictObject({ host: z.string().default('0.0.0.0'), port: z.number().int().min(0).max(65535).default(4000) }).default({ host: '0.0.0.0', port: 4000 }),
  targets: z.array(targetSchema).min(1, 'at least one target is needed'),
  /** Consecutive failed checks of the active target before failing over. */
  failoverThreshold: z.number().int().min(1).max(100).default(3),
  /**
   * Consecutive failed checks before a worker that still accepts connections
   * counts as down (and is put in maintenance, which cuts its sessions): one
   * slow answer of a busy worker must not. A worker refusing connections
   * (its process is gone) is down at its first failed check.
   */
  workerFall: z.number().int().min(1).max(100).default(3),
  healthCheckIntervalMs: z.number().int().min(100).max(3_600_000).default(10_000),
  /** One worker's whole check (connect, initialize, ping, /ready), ms. A round lasting longer than the interval delays the next one. */
  healthCheckTimeoutMs: z.number().int().min(50).max(60_000).default(3_000),
  failback: z
    .strictObject({ policy: z.enum(['auto', 'manual']).default('manual'), afterHealthyChecks: z.number().int().min(1).max(1000).default(3) })
    .default({ policy: 'manual', afterHealthyChecks: 3 }),
  haproxy: z
    .strictObject({
      /** Runtime API: a unix socket path, or host:port. Empty: HAProxy is not driven. */
      socket: z.string().default(''),
      backend: name.default('workers'),
      /** How often HAProxy's server states are re-applied (after an HAProxy restart), ms. */
      reconcileIntervalMs: z.number().int().min(100).max(600_000).default(5_000),
    })
    .default({ socket: '', backend: 'workers', reconcileIntervalMs: 5_000 }),
  lockFile: z.string().default('run/active_system.lock'),
  logging: z
    .strictObject({ level: z.enum(['error', 'warn', 'info', 'debug']).default('info'), dir: z.string().default('logs'), maxSizeBytes: z.number().int().min(1024).default(10 * 1024 * 1024), maxFiles: z.number().int().min(1).max(100).default(5) })
    .default({ level: 'info', dir: 'logs', maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5 }),
});

/** Environment variables; each overrides the file's field named beside it (`.unwrap()` drops env.int's default: an unset variable leaves the file's value). */
export const proxyEnvSchema = z.object({
  PROXY_CONFIG_FILE: z.string().optional(),
  PROXY_HOST: z.string().optional(), // server.host
  PROXY_PORT: env.int(4000, 0, 65535).unwrap().optional(), // server.port
  /** Bearer token of mutating API calls; a secret. */
  PROXY_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters (e.g. openssl rand -hex 24)').regex(/^\S+$/, 'must not contain white space'),
  HAPROXY_SOCKET: z.string().optional(), // haproxy.socket
  HAPROXY_BACKEND: name.optional(), // haproxy.backend
  PROXY_LOCK_FILE: z.string().optional(), // lockFile
  PROXY_HEALTH_INTERVAL_MS: env.int(10_000, 100, 3_600_000).unwrap().optional(), // healthCheckIntervalMs
  PROXY_HEALTH_TIMEOUT_MS: env.int(3_000, 50, 60_000).unwrap().optional(), // healthCheckTimeoutMs
  PROXY_FAILOVER_THRESHOLD: env.int(3, 1, 100).unwrap().optional(), // failoverThreshold
  PROXY_WORKER_FALL: env.int(3, 1, 100).unwrap().optional(), // workerFall
  PROXY_FAILBACK: z.enum(['auto', 'manual'], { message: 'must be auto or manual' }).optional(), // failback.policy
  LOG_LEVEL: env.logLevel().unwrap().optional(), // logging.level
  PROXY_LOG_DIR: z.string().optional(), // logging.dir
});

export type ProxyFileConfig = z.infer<typeof fileSchema>;
export type TargetConfig = z.infer<typeof targetSchema>;
export type WorkerConfig = z.infer<typeof workerSchema>;
export interface ProxyConfig extends ProxyFileConfig {
  adminToken: string;
  configFile: string;
}

export const DEFAULT_CONFIG_FILE = path.resolve(__dirname, '../config/default.json');

/** Reads and validates the file named by PROXY_CONFIG_FILE (or the default) and applies the environment. */
export function loadProxyConfig(source: Record<string, string | undefined>): ProxyConfig {
  const e = parseEnv('proxy', proxyEnvSchema, source);
  const configFile = path.resolve(e.PROXY_CONFIG_FILE ?? DEFAULT_CONFIG_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configFile, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : err instanceof SyntaxError ? `not valid JSON (${err.message})` : String((err as Error).message);
    throw new ConfigError('proxy', [`PROXY_CONFIG_FILE: ${configFile}: ${why}`]);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      'proxy',
      parsed.error.issues.map((i) => `${configFile}: ${i.path.length ? i.path.map(String).join('.') : '(file)'}: ${i.message}`),
    );
  }
  const file = parsed.data;
  const problems = checkConsistency(file).map((p) => `${configFile}: ${p}`);
  if (problems.length) throw new ConfigError('proxy', problems);
  const base = path.dirname(configFile);
  return {
    ...file,
    server: { host: e.PROXY_HOST ?? file.server.host, port: e.PROXY_PORT ?? file.server.port },
    failoverThreshold: e.PROXY_FAILOVER_THRESHOLD ?? file.failoverThreshold,
    workerFall: e.PROXY_WORKER_FALL ?? file.workerFall,
    healthCheckIntervalMs: e.PROXY_HEALTH_INTERVAL_MS ?? file.healthCheckIntervalMs,
    healthCheckTimeoutMs: e.PROXY_HEALTH_TIMEOUT_MS ?? file.healthCheckTimeoutMs,
    failback: { ...file.failback, policy: e.PROXY_FAILBACK ?? file.failback.policy },
    haproxy: { ...file.haproxy, socket: e.HAPROXY_SOCKET ?? file.haproxy.socket, backend: e.HAPROXY_BACKEND ?? file.haproxy.backend },
    // Relative paths in the file are relative to the file; in the environment, to the working directory.
    lockFile: e.PROXY_LOCK_FILE ? path.resolve(e.PROXY_LOCK_FILE) : path.resolve(base, file.lockFile),
    logging: { ...file.logging, level: e.LOG_LEVEL ?? file.logging.level, dir: e.PROXY_LOG_DIR ? path.resolve(e.PROXY_LOG_DIR) : path.resolve(base, file.logging.dir) },
    adminToken: e.PROXY_ADMIN_TOKEN,
    configFile,
  };
}

/** Names unique, every worker in one target only, minHealthy reachable. */
function checkConsistency(file: ProxyFileConfig): string[] {
  const problems: string[] = [];
  const targets = new Set<string>();
  const workers = new Set<string>();
  for (const t of file.targets) {
    if (targets.has(t.name)) problems.push(`targets: the name ${t.name} is used twice`);
    targets.add(t.name);
    if (t.minHealthy > t.workers.length) problems.push(`targets.${t.name}.minHealthy: ${t.minHealthy} is more than its ${t.workers.length} worker(s)`);
    for (const w of t.workers) {
      if (workers.has(w.name)) problems.push(`targets.${t.name}.workers: ${w.name} is in more than one target`);
      workers.add(w.name);
    }
  }
  return problems;
}

/** The configuration as /config shows it: every secret removed. */
export function publicConfig(c: ProxyConfig): Record<string, unknown> {
  const { adminToken: _secret, ...rest } = c;
  return { ...rest, adminToken: '[set]' };
}
