import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startProcess, startedWhen, stop } from './proc.js';

export interface BenchRedis {
  port: number;
  pid: number;
  password: string;
  url: string;
  /** FLUSHALL: every cache entry gone, so the next reads are cold. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** One RESP command on a fresh connection (AUTH first); resolves with the reply line. */
function command(port: number, password: string, ...args: string[]): Promise<string> {
  const encode = (parts: string[]) => `*${parts.length}\r\n` + parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('');
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let text = '';
    s.setTimeout(5_000, () => s.destroy(new Error(`redis ${args[0]}: no answer within 5 s`)));
    s.on('connect', () => s.write(encode(['AUTH', password]) + encode(args)));
    s.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const lines = text.split('\r\n');
      if (lines.length < 3) return;
      s.destroy();
      if (!lines[1].startsWith('+') && !lines[1].startsWith(':')) reject(new Error(`redis ${args[0]}: ${lines[1]}`));
      else resolve(lines[1]);
    });
    s.on('error', reject);
  });
}

/** redis-server with the stack's redis/redis.conf (maxmemory + LRU), on loopback, a temp dir and a random password. */
export async function startBenchRedis(root: string, port: number): Promise<BenchRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-redis-'));
  const password = randomBytes(18).toString('hex');
  const child = startProcess('/usr/bin/redis-server', [
    path.join(root, 'redis/redis.conf'),
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--requirepass',
    password,
  ]);
  try {
    await startedWhen('redis-server', child, () => command(port, password, 'PING').then(() => true), 10_000);
  } catch (err) {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    pid: child.pid!,
    password,
    url: `redis://127.0.0.1:${port}`,
    flush: async () => void (await command(port, password, 'FLUSHALL')),
    stop: async () => {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
