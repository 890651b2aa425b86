import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { until } from './proc.js';
import net from 'node:net';

export interface BenchRedis {
  port: number;
  password: string;
  url: string;
  stop(): Promise<void>;
}

/** redis-server with the stack's redis/redis.conf (maxmemory + LRU), on loopback, a temp dir and a random password. */
export async function startBenchRedis(root: string, port: number): Promise<BenchRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-redis-'));
  const password = randomBytes(18).toString('hex');
  const child: ChildProcess = spawn(
    '/usr/bin/redis-server',
    [path.join(root, 'redis/redis.conf'), '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--requirepass', password],
    { stdio: 'ignore' },
  );
  await until(
    'redis-server',
    () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect({ port, host: '127.0.0.1' }, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      }),
    10_000,
  );
  return {
    port,
    password,
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}
