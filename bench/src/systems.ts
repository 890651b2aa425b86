/**
 * The three systems the benchmark compares, each put behind the same HAProxy
 * in turn:
 *
 *   stack  mcp-worker processes in network mode (one session per TCP
 *          connection inside a long-lived process), sharing one Redis cache.
 *   old    "the old way": socat TCP-LISTEN,fork EXEC of the same worker in
 *          --stdio mode -- one Node process forked per connection, no shared
 *          cache (without REDIS_URL the worker has no response cache at all,
 *          only in-process coalescing, so every read goes to Moodle).
 *          socat's max-children caps the processes (each ~90 MB): beyond the
 *          cap, connections wait in the listen queue, as they would on a
 *          machine out of memory, only without taking the machine down.
 *   echo   "the transport's limit": echoServer.ts, one process answering each
 *          line at once with an answer of a cached get_courses answer's size.
 */
import path from 'node:path';
import type { BenchHaproxy } from './haproxyProc.js';
import { closeAll, openSessions, runCalls } from './load.js';
import { listening, processTree, startNode, startProcess, startedWhen, stop, until } from './proc.js';
import { freePort } from './ports.js';
import { GET_COURSES } from './readMix.js';
import type { BenchRedis } from './redisProc.js';
import { SERVICE_ENV_PREFIXES, WORKER_MAIN, startWorkers, stopWorkers, workerEnv, type BenchSim, type BenchWorker } from './services.js';

export type SystemName = 'stack' | 'old' | 'echo';
/** See RunningSystem.openAtOnce. */
const OLD_WAY_OPEN_AT_ONCE = 4;
export const SYSTEMS: readonly SystemName[] = ['stack', 'old', 'echo'];
export const SYSTEM_LABEL: Record<SystemName, string> = { stack: 'stack', old: 'old way', echo: 'echo limit' };

/** What every system of one benchmark run shares. */
export interface BenchEnv {
  /** Temp dir of the run: logs, the runtime API socket. */
  dir: string;
  haproxy: BenchHaproxy;
  redis: BenchRedis;
  sim: BenchSim;
  /** Size of the echo server's answers (a cached get_courses answer), bytes with the newline. */
  echoReplyBytes: number;
  /** The old way's process cap (socat max-children). */
  oldMaxProcs: number;
  /** get_courses calls a freshly started stack or echo server answers before it is measured (JIT, heap). */
  warmUpCalls: number;
}

export interface RunningSystem {
  name: SystemName;
  /** The server processes behind HAProxy now (the old way's change with every session). */
  pids(): number[];
  /** Most sessions it can hold at once: the old way's process cap, else Infinity. */
  capacity: number;
  /**
   * Sessions to open at a time where set-up is not what is measured: the old
   * way starts a process per session (~1 s of CPU each), and 50 at once on 2
   * cores do not all answer within a client's timeout.
   */
  openAtOnce?: number;
  /** The stack's workers (empty for the others). */
  workers: BenchWorker[];
  /**
   * After the clients have closed: resolves once the system holds no session
   * (the stack: its workers say 0; the old way: socat restarted, every fork gone).
   */
  clear(): Promise<void>;
  stop(): Promise<void>;
}

async function startStack(env: BenchEnv, count: number): Promise<RunningSystem> {
  const workers = await startWorkers(count, { simUrl: env.sim.url, redis: env.redis, name: 'stack', logDir: env.dir });
  const system: RunningSystem = {
    name: 'stack',
    pids: () => [...workers.map((w) => w.proc.pid!), env.redis.pid],
    capacity: Infinity,
    workers,
    clear: () =>
      until('the workers to close their sessions', async () => (await Promise.all(workers.map((w) => w.health()))).every((h) => h.sessions === 0), 15_000),
    stop: async () => {
      await env.haproxy.setServers([]).catch(() => undefined);
      await stopWorkers(workers);
    },
  };
  await behindHaproxy(
    env,
    system,
    workers.map((w, i) => ({ name: `stack-${i + 1}`, port: w.mcpPort, checkPort: w.httpPort })),
  );
  return system;
}

async function startOldWay(env: BenchEnv): Promise<RunningSystem> {
  const port = await freePort();
  const exec = `${process.execPath} ${WORKER_MAIN} --stdio`;
  // socat splits EXEC's command at spaces.
  if (process.execPath.includes(' ') || WORKER_MAIN.includes(' ')) throw new Error(`the old way needs paths without spaces: ${exec}`);
  const log = path.join(env.dir, 'old-way.log');
  // backlog: connections beyond the cap wait to be accepted (as the kernel would keep them) instead of being refused.
  const listen = `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr,backlog=4096,max-children=${env.oldMaxProcs}`;
  const launch = async () => {
    const child = startProcess('socat', [listen, `EXEC:${exec}`], { env: workerEnv(env.sim.url), unset: SERVICE_ENV_PREFIXES, log, group: true });
    await startedWhen('socat (the old way)', child, () => listening(port), 10_000, log);
    return child;
  };
  let socat = await launch();
  const system: RunningSystem = {
    name: 'old',
    pids: () => processTree(socat.pid!),
    capacity: env.oldMaxProcs,
    openAtOnce: OLD_WAY_OPEN_AT_ONCE,
    workers: [],
    // A fresh socat: connections still queued beyond the cap would otherwise each fork a
    // worker once a slot frees, long after their clients left (minutes of CPU after 1,000).
    clear: async () => {
      await stop(socat, 5_000);
      socat = await launch();
    },
    stop: async () => {
      await env.haproxy.setServers([]).catch(() => undefined);
      await stop(socat, 5_000);
    },
  };
  await behindHaproxy(env, system, [{ name: 'old-way', port }]);
  return system;
}

async function startEcho(env: BenchEnv): Promise<RunningSystem> {
  const port = await freePort();
  const log = path.join(env.dir, 'echo.log');
  const proc = startNode(path.join(__dirname, 'echoServer.js'), ['--port', String(port), '--reply-bytes', String(env.echoReplyBytes)], {}, { log });
  await startedWhen('echo server', proc, () => listening(port), 10_000, log);
  const system: RunningSystem = {
    name: 'echo',
    pids: () => [proc.pid!],
    capacity: Infinity,
    workers: [],
    clear: async () => undefined,
    stop: async () => {
      await env.haproxy.setServers([]).catch(() => undefined);
      await stop(proc);
    },
  };
  await behindHaproxy(env, system, [{ name: 'echo', port }]);
  return system;
}

/** Puts the system's servers into HAProxy; stops the system if HAProxy refuses. */
async function behindHaproxy(env: BenchEnv, system: RunningSystem, servers: Parameters<BenchHaproxy['setServers']>[0]): Promise<void> {
  try {
    await env.haproxy.setServers(servers);
  } catch (err) {
    await system.stop();
    throw err;
  }
}

/**
 * Starts `name` behind HAProxy (`workers`: the stack's worker count). The
 * stack and the echo server are then warmed up -- a session on every server
 * process lists the tools and calls get_courses BenchEnv.warmUpCalls times,
 * so the hot path is compiled -- since in production they run for days; the
 * old way starts cold for every session, which is its point. The stack's
 * workers are warmed on their own ports (they take connections without a
 * PROXY header here): through HAProxy one session lands on one worker, and
 * the others were measured cold, compiling while they were measured.
 */
export async function startSystem(env: BenchEnv, name: SystemName, workers = 2): Promise<RunningSystem> {
  const system = await (name === 'stack' ? startStack(env, workers) : name === 'old' ? startOldWay(env) : startEcho(env));
  if (name !== 'old') {
    const ports = name === 'stack' ? system.workers.map((w) => w.mcpPort) : [env.haproxy.port];
    const sets = await Promise.all(ports.map((port) => openSessions(port, 1, { timeoutMs: 30_000, label: 'warm-up', firstCall: GET_COURSES })));
    const clients = sets.flatMap((set) => set.clients);
    try {
      const failed = sets.find((set) => !set.opened);
      if (failed) throw new Error(`${SYSTEM_LABEL[name]}: a warm-up session failed: ${JSON.stringify(failed.errors.toJSON())}`);
      await Promise.all(clients.map((client) => client.request('tools/list', {})));
      const calls = await runCalls(
        clients,
        { perSession: env.warmUpCalls, pipeline: 8, durationMs: 30_000, timeoutMs: 30_000, next: () => GET_COURSES },
        'warm-up',
      );
      if (calls.errors) throw new Error(`${SYSTEM_LABEL[name]}: warm-up calls failed: ${JSON.stringify(calls.errorKinds)}`);
      for (const w of system.workers) {
        const answered = toolCallsIn(await w.metrics());
        if (answered < env.warmUpCalls) throw new Error(`worker ${w.id} answered ${answered} calls in the warm-up, not ${env.warmUpCalls}`);
      }
    } catch (err) {
      await system.stop();
      throw err;
    } finally {
      closeAll(clients);
    }
    await system.clear();
  }
  return system;
}

/** The tool calls a worker has answered, from its Prometheus metrics. */
function toolCallsIn(metrics: string): number {
  let sum = 0;
  for (const m of metrics.matchAll(/^mcp_tool_calls_total\{[^}]*\} (\d+)$/gm)) sum += Number(m[1]);
  return sum;
}

/** Runs `fn` with `name` started behind HAProxy, and always stops it. */
export async function withSystem<T>(env: BenchEnv, name: SystemName, workers: number, fn: (s: RunningSystem) => Promise<T>): Promise<T> {
  const system = await startSystem(env, name, workers);
  try {
    return await fn(system);
  } finally {
    await system.stop();
  }
}
