/**
 * A real `redis-server` for tests: started on a free port with its own temp
 * directory and no persistence (`--save ''`, no AOF), optionally with
 * `--requirepass`. Outage tests use `kill()` (SIGKILL, like a crash),
 * `restart()` (same port, empty data set) and `pause()`/`resume()`
 * (SIGSTOP/SIGCONT: the socket stays open but nothing answers — a "slow" Redis).
 *
 * Every test that calls `startRedis()` must `await redis.stop()` (afterAll).
 * A TcpRelay (tcpRelay.ts) in front of a server lets one client lose Redis
 * while others keep it (a network partition).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const REDIS_BIN = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
/** How long a start may take before the test fails with the server's output. */
const START_TIMEOUT_MS = 10_000;

export interface TestRedis {
  readonly host: string;
  readonly port: number;
  /** `redis://host:port` (the password, if any, is passed separately). */
  readonly url: string;
  readonly password?: string;
  /** True while the server process is running (and not killed). */
  readonly running: boolean;
  /** SIGKILL: a crash, not a shutdown. Resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts a fresh server on the same port (after `kill()`); data is gone. */
  restart(): Promise<void>;
  /** SIGSTOP: connections stay open, commands get no answer. */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** Stops the server (if running) and removes its temp directory. Idempotent. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Sets `--requirepass`. */
  password?: string;
}

/** A port that was free a moment ago (the OS picks it; we release it for redis). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

/** Spawns redis-server and resolves when it logs that it accepts connections. */
function spawnRedis(port: number, dir: string, password?: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  if (password !== undefined) args.push('--requirepass', password);
  const proc = spawn(REDIS_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`redis-server did not start on port ${port} within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        proc.stdout?.removeListener('data', onData);
        // Keep draining so a full pipe never blocks the server.
        proc.stdout?.resume();
        resolve(proc);
      }
    };
    const fail = (err: Error) => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(err);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.once('error', (err) => fail(new Error(`cannot run ${REDIS_BIN}: ${err.message}`)));
    proc.once('exit', (code, signal) => {
      if (!output.includes('Ready to accept connections')) fail(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<TestRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'test-redis-'));
  let port = 0;
  let proc: ChildProcess | undefined;
  // Another process may grab the port between freePort() and redis binding it.
  for (let attempt = 1; !proc; attempt++) {
    port = await freePort();
    try {
      proc = await spawnRedis(port, dir, opts.password);
    } catch (err) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  let current: ChildProcess | undefined = proc;
  let paused = false;

  const signal = async (sig: NodeJS.Signals) => {
    const p = current;
    current = undefined;
    if (!p) return;
    if (paused) p.kill('SIGCONT');
    paused = false;
    p.kill(sig);
    await exited(p);
  };

  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    password: opts.password,
    get running() {
      return current !== undefined;
    },
    kill: () => signal('SIGKILL'),
    async restart() {
      await signal('SIGKILL');
      current = await spawnRedis(port, dir, opts.password);
    },
    pause() {
      if (!current || paused) return;
      current.kill('SIGSTOP');
      paused = true;
    },
    resume() {
      if (!current || !paused) return;
      current.kill('SIGCONT');
      paused = false;
    },
    async stop() {
      await signal('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
