/**
 * The native runner (scripts/local.sh) for tests: the whole stack -- HAProxy,
 * Redis, moodle-sim, N workers and the supervisor -- on free loopback ports
 * with its own RUN_DIR, so it runs beside an operator's stack. It uses the
 * built `dist/` (run `npx tsc -b` first; the runner is told not to build).
 *
 * Every test that calls `prepareNativeStack()` must `await stack.down()`
 * (afterAll), which also removes the temp directory.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePortBlock } from '../../bench/src/ports.js';

export const ROOT = path.resolve(__dirname, '../..');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (bounded by `timeoutMs`), never throwing on a non-zero exit. */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT, env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export interface NativeStack {
  runDir: string;
  env: NodeJS.ProcessEnv;
  mcpPort: number;
  /** The VIP over TLS (TLS_PORT; the runner serves it unless TLS=0). */
  tlsPort: number;
  /** CERT_DIR: the CA, the server certificate and teachers' certificates (scripts/certs.sh), inside runDir. */
  certDir: string;
  statsPort: number;
  /** The proxy service's API/UI port (when the runner starts it: PROXY=1, the default). */
  proxyPort: number;
  socket: string;
  workerHttpPort(i: number): number;
  workerPid(i: number): number;
  /** Every pid recorded in RUN_DIR (*.pid). */
  pids(): number[];
  /** `scripts/local.sh <args>` with this stack's environment. */
  local(...args: string[]): Promise<RunResult>;
  /** `make -s <target> [VAR=value ...]` with this stack's environment. */
  make(target: string, ...vars: string[]): Promise<RunResult>;
  /** Stops the stack (idempotent) and removes RUN_DIR. */
  down(): Promise<void>;
}

export interface NativeStackOptions {
  workers?: number;
  /** Worker port blocks are sized for this many (scale tests). */
  maxWorkers?: number;
  /** Lines of haproxy/allowlist.txt format; default: 127.0.0.1 only. */
  allowlist?: string[];
  /** Extra environment for the runner (and through it HAProxy and the workers). */
  env?: Record<string, string>;
}

/** Picks ports and writes the allow-list; the caller starts it with `make('local')` or `local('up')`. */
export async function prepareNativeStack(opts: NativeStackOptions = {}): Promise<NativeStack> {
  // Short: the runtime API socket path must fit in 108 bytes.
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'stack-'));
  const allowlist = path.join(runDir, 'allowlist.txt');
  writeFileSync(allowlist, (opts.allowlist ?? ['127.0.0.1']).join('\n') + '\n');
  const slots = opts.maxWorkers ?? opts.workers ?? 3;
  // One block for every port of the stack: ports picked one by one (the OS's
  // ephemeral ones, released at once) could come back twice, or be taken by a
  // client socket before the stack listens on them.
  const FIXED = 7;
  const base = await freePortBlock(FIXED + 2 * slots);
  const [tlsPort, mcpPort, statsPort, proxyPort, redisPort, simPort, registryPort] = Array.from({ length: FIXED }, (_, i) => base + 1 + i) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Worker i listens on mcpBase + i and httpBase + i (i = 1 .. slots).
  const mcpBase = base + FIXED;
  const httpBase = mcpBase + slots;
  const certDir = path.join(runDir, 'certs');
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Nothing of the operator's configuration leaks in: demo Moodle, generated secrets.
  for (const k of ['MOODLE_URL', 'MOODLE_TOKEN', 'STATS_PASSWORD', 'PROXY_ADMIN_TOKEN', 'VIP', 'REDIS_URL', 'REDIS_PASSWORD', 'MAKEFLAGS', 'MAKELEVEL', 'IDENTITY_MODE', 'HAPROXY_TLS_VERIFY'])
    delete env[k];
  Object.assign(env, {
    ENV_FILE: '/dev/null',
    RUN_DIR: runDir,
    LOCAL_SKIP_BUILD: '1',
    HAPROXY_BIND: '127.0.0.1',
    HAPROXY_ALLOWLIST: allowlist,
    MCP_PORT: String(mcpPort),
    TLS_PORT: String(tlsPort),
    CERT_DIR: certDir,
    STATS_PORT: String(statsPort),
    PROXY_PORT: String(proxyPort),
    REDIS_PORT: String(redisPort),
    SIM_PORT: String(simPort),
    REGISTRY_PORT: String(registryPort),
    STATE_DIR: path.join(runDir, 'state'),
    // Stacks that test other things run with one shared account; test/e2e/identity.test.ts runs per-teacher.
    IDENTITY_MODE: 'shared',
    WORKERS: String(opts.workers ?? 3),
    WORKER_MCP_BASE_PORT: String(mcpBase),
    WORKER_HTTP_BASE_PORT: String(httpBase),
    READY_TIMEOUT: '40',
    ...opts.env,
  });
  let stopped = false;
  const stack: NativeStack = {
    runDir,
    env,
    mcpPort,
    tlsPort,
    certDir,
    statsPort,
    proxyPort,
    socket: path.join(runDir, 'haproxy.sock'),
    workerHttpPort: (i) => httpBase + i,
    workerPid: (i) => Number(readFileSync(path.join(runDir, `worker-${i}.pid`), 'utf8').trim()),
    pids: () =>
      readdirSync(runDir)
        .filter((f) => f.endsWith('.pid'))
        .map((f) => Number(readFileSync(path.join(runDir, f), 'utf8').trim())),
    local: (...args) => run('bash', [path.join(ROOT, 'scripts/local.sh'), ...args], env),
    make: (target, ...vars) => run('make', ['-s', '-C', ROOT, target, ...vars], env),
    async down() {
      if (stopped) return;
      stopped = true;
      const r = await stack.local('down');
      if (r.code !== 0) process.stderr.write(`local.sh down failed (${r.code}):\n${r.stdout}${r.stderr}\n`);
      rmSync(runDir, { recursive: true, force: true });
    },
  };
  return stack;
}

/** True when the process runs (a zombie, dead but not yet reaped, does not count). */
export function processRuns(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Every JSON line the native stack's workers logged (RUN_DIR/logs/worker-N.log). */
export function workerLogLines(runDir: string): Record<string, unknown>[] {
  return readdirSync(path.join(runDir, 'logs'))
    .filter((f) => /^worker-\d+\.log$/.test(f))
    .flatMap((f) => readFileSync(path.join(runDir, 'logs', f), 'utf8').split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
