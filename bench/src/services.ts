/**
 * The project's own services as the benchmarks run them: built `dist/`
 * entry points started as tracked processes on free loopback ports.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { BenchRedis } from './redisProc.js';
import { httpOk, startNode, startedWhen, stop } from './proc.js';
import { freePort } from './ports.js';

export const ROOT = path.resolve(__dirname, '../..');
export const WORKER_MAIN = path.join(ROOT, 'services/mcp-worker/dist/main.js');
const SIM_MAIN = path.join(ROOT, 'services/moodle-sim/dist/main.js');

/** Inherited variables a worker or simulator would read: the bench sets its own, an operator's must not leak in. */
export const SERVICE_ENV_PREFIXES = [
  'MOODLE_',
  'REDIS_',
  'CACHE_',
  'MCP_',
  'HTTP_',
  'MAX_',
  'WORKER_',
  'DRAIN_',
  'ALLOW_WRITES',
  'READY_',
  'SIM_',
  'LOG_LEVEL',
  'PROXY_PROTOCOL',
];

export function demoToken(): string {
  return (require(path.join(ROOT, 'services/moodle-sim/dist/index.js')) as { DEMO_TOKEN: string }).DEMO_TOKEN;
}

/**
 * What every worker of the bench gets: the simulator as its Moodle, quiet
 * logs, a short drain, a PROXY protocol header accepted but not required
 * (HAProxy sends one where haproxy.cfg's default-server says send-proxy-v2),
 * and no per-session call rate limit: a benchmark session stands for many
 * teachers' calls, and measures what the worker can do, not what it allows.
 */
export function workerEnv(simUrl: string): Record<string, string> {
  return {
    MOODLE_URL: simUrl,
    MOODLE_TOKEN: demoToken(),
    MOODLE_DEMO: 'true',
    LOG_LEVEL: 'warn',
    DRAIN_TIMEOUT_MS: '2000',
    PROXY_PROTOCOL: 'optional',
    SESSION_CALL_RATE: '0',
  };
}

export interface BenchSim {
  url: string;
  proc: ChildProcess;
  /** Requests the simulator answered since the last reset, in all and per web service function. */
  stats(): Promise<{ total: number; byFunction: Record<string, number> }>;
  resetStats(): Promise<void>;
  /** Added to every web service answer from now on, ms. */
  setLatency(ms: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startSim(opts: { latencyMs?: number; log?: string } = {}): Promise<BenchSim> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startNode(
    SIM_MAIN,
    [],
    { SIM_PORT: String(port), SIM_LATENCY_MS: String(opts.latencyMs ?? 0), LOG_LEVEL: 'warn' },
    { unset: SERVICE_ENV_PREFIXES, log: opts.log },
  );
  try {
    await startedWhen('moodle-sim', proc, () => httpOk(`${url}/health`), 30_000, opts.log);
  } catch (err) {
    await stop(proc);
    throw err;
  }
  const ok = async (r: Response, what: string) => {
    if (!r.ok) throw new Error(`moodle-sim ${what}: HTTP ${r.status} ${await r.text()}`);
    return r;
  };
  return {
    url,
    proc,
    stats: async () => (await (await ok(await fetch(`${url}/__sim/stats`), 'stats')).json()) as { total: number; byFunction: Record<string, number> },
    resetStats: async () => void (await ok(await fetch(`${url}/__sim/stats/reset`, { method: 'POST' }), 'stats reset')),
    setLatency: async (ms) =>
      void (await ok(
        await fetch(`${url}/__sim/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: ms }) }),
        'faults',
      )),
    stop: () => stop(proc),
  };
}

export interface BenchWorker {
  id: string;
  mcpPort: number;
  httpPort: number;
  proc: ChildProcess;
  /** Its stdout and stderr, when the caller gave a log directory. */
  log?: string;
  metrics(): Promise<string>;
  health(): Promise<{ sessions: number }>;
}

/** Starts `count` workers in network mode (sharing `redis` when given) and waits until each answers /ready. */
export async function startWorkers(
  count: number,
  opts: { simUrl: string; redis?: BenchRedis; name?: string; logDir?: string; env?: Record<string, string> },
): Promise<BenchWorker[]> {
  const workers: BenchWorker[] = [];
  try {
    for (let i = 1; i <= count; i++) {
      const [mcpPort, httpPort] = [await freePort(), await freePort()];
      const id = `${opts.name ?? 'bench-worker'}-${i}`;
      const env: Record<string, string> = {
        ...workerEnv(opts.simUrl),
        MCP_HOST: '127.0.0.1',
        MCP_PORT: String(mcpPort),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        WORKER_ID: id,
        ...(opts.redis ? { REDIS_URL: opts.redis.url, REDIS_PASSWORD: opts.redis.password } : {}),
        ...opts.env,
      };
      const log = opts.logDir ? path.join(opts.logDir, `${id}.log`) : undefined;
      const proc = startNode(WORKER_MAIN, [], env, { unset: SERVICE_ENV_PREFIXES, log });
      const base = `http://127.0.0.1:${httpPort}`;
      workers.push({
        id,
        mcpPort,
        httpPort,
        proc,
        log,
        metrics: async () => (await fetch(`${base}/metrics`)).text(),
        health: async () => (await (await fetch(`${base}/health`)).json()) as { sessions: number },
      });
    }
    for (const w of workers) await startedWhen(`worker ${w.id} /ready`, w.proc, () => httpOk(`http://127.0.0.1:${w.httpPort}/ready`), 30_000, w.log);
    return workers;
  } catch (err) {
    await stopWorkers(workers);
    throw err;
  }
}

export async function stopWorkers(workers: BenchWorker[]): Promise<void> {
  await Promise.all(workers.map((w) => stop(w.proc)));
}
