import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { haproxyServers } from '../helpers/haproxy.js';
import { connectViaNcat, resultText } from '../helpers/mcp.js';
import { prepareNativeStack, processRuns, ROOT, run, type NativeStack, type RunResult } from '../helpers/nativeStack.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The whole topology as the native runner starts it (`make local`): real
 * HAProxy in front of 3 real worker processes, real Redis, moodle-sim,
 * teachers' clients being the MCP SDK's Client over ncat to the VIP. Health
 * checks run every 500 ms (200 ms after a failure) so failures show quickly.
 */
const CHECK_INTER_MS = 500;
const CHECK_FASTINTER_MS = 200;

describe('the native stack: HAProxy in front of 3 workers', () => {
  let stack: NativeStack;
  let up: RunResult;
  const clients = new Set<Client>();

  const connect = async (name = 'teacher'): Promise<Client> => {
    const c = await connectViaNcat('127.0.0.1', stack.mcpPort, name);
    clients.add(c);
    return c;
  };
  const disconnect = async (c: Client) => {
    clients.delete(c);
    await c.close().catch(() => undefined);
  };
  const health = async (i: number): Promise<{ sessions: number }> => {
    const r = await fetch(`http://127.0.0.1:${stack.workerHttpPort(i)}/health`);
    return (await r.json()) as { sessions: number };
  };
  const sessionsPerWorker = async () => Promise.all([1, 2, 3].map(async (i) => (await health(i)).sessions));
  const getCourses = async (c: Client) => {
    const r = await c.callTool({ name: 'get_courses', arguments: { perPage: 3 } });
    if (r.isError) throw new Error(`get_courses failed: ${resultText(r)}`);
    return r;
  };

  beforeAll(async () => {
    stack = await prepareNativeStack({
      workers: 3,
      maxWorkers: 4,
      // HAProxy's own checks alone: the proxy service (which also steers server
      // states) has its own suite, test/e2e/proxy.test.ts.
      env: { HAPROXY_CHECK_INTER: `${CHECK_INTER_MS}ms`, HAPROXY_CHECK_FASTINTER: `${CHECK_FASTINTER_MS}ms`, DRAIN_TIMEOUT_MS: '2000', PROXY: '0' },
    });
    up = await stack.make('local');
    if (up.code !== 0) throw new Error(`make local failed (${up.code}):\n${up.stdout}\n${up.stderr}`);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([...clients].map((c) => c.close().catch(() => undefined)));
    await stack?.down();
  }, 60_000);

  it('starts with make local: announces demo mode, prints the VIP and the client line, and never a secret', () => {
    expect(up.stdout).toContain('DEMO MODE');
    expect(up.stdout).toContain(`MCP endpoint (VIP): 127.0.0.1:${stack.mcpPort}`);
    expect(up.stdout).toContain(`{ "mcpServers": { "moodle": { "command": "ncat", "args": ["127.0.0.1", "${stack.mcpPort}"] } } }`);
    const secrets = ['redis.password', 'stats.password'].map((f) => {
      const file = path.join(stack.runDir, f);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      return readFileSync(file, 'utf8').trim();
    });
    const logDir = path.join(stack.runDir, 'logs');
    const texts = [up.stdout, up.stderr, ...readdirSync(logDir).map((f) => readFileSync(path.join(logDir, f), 'utf8'))];
    for (const secret of secrets) {
      expect(secret).toMatch(/^[0-9a-f]{48}$/);
      for (const t of texts) expect(t).not.toContain(secret);
    }
  });

  it('passes haproxy -c with the environment the runner sets, and in Docker Compose (dns) mode', async () => {
    const native = await stack.local('check-config');
    expect(native).toMatchObject({ code: 0 });
    expect(native.stdout).toContain('is valid');
    const compose = await run('/usr/sbin/haproxy', ['-c', '-f', path.join(ROOT, 'haproxy/haproxy.cfg')], {
      PATH: process.env.PATH,
      STATS_PASSWORD: 'only-for-the-check',
      HAPROXY_SOCKET: path.join(stack.runDir, 'check.sock'),
      HAPROXY_ALLOWLIST: path.join(ROOT, 'haproxy/allowlist.txt'),
    });
    expect(compose.stdout + compose.stderr).toContain('Configuration file is valid');
    const noPassword = await run('/usr/sbin/haproxy', ['-c', '-f', path.join(ROOT, 'haproxy/haproxy.cfg')], { PATH: process.env.PATH });
    expect(noPassword.code).not.toBe(0);
    expect(noPassword.stderr).toContain('STATS_PASSWORD is not set');
  });

  it('serves 50 concurrent clients over ncat, spread over all 3 workers by leastconn', async () => {
    const fifty = await Promise.all(Array.from({ length: 50 }, (_, i) => connect(`teacher-${i}`)));
    const results = await Promise.all(
      fifty.map(async (c) => {
        const tools = await c.listTools();
        const courses = await getCourses(c);
        return { tools: tools.tools.map((t) => t.name), courses: (courses.structuredContent as { courses: unknown[] }).courses.length };
      }),
    );
    expect(results.every((r) => r.tools.includes('get_courses') && r.courses === 3)).toBe(true);
    const perWorker = await sessionsPerWorker();
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(50);
    // leastconn over 50 sessions arriving together: about 17 each.
    for (const n of perWorker) expect(n).toBeGreaterThanOrEqual(10);
    const servers = await haproxyServers(stack.socket);
    expect([1, 2, 3].map((i) => servers.get(`worker-${i}`)?.scur)).toEqual(perWorker);
    await Promise.all(fifty.map(disconnect));
    await waitFor('every session to end', async () => (await sessionsPerWorker()).every((n) => n === 0), { timeoutMs: 10_000 });
  }, 60_000);

  it('keeps serving when a worker is SIGKILLed: no failed connect, no error elsewhere, its sessions closed, and it rejoins', async () => {
    const sessions = await Promise.all(Array.from({ length: 30 }, (_, i) => connect(`session-${i}`)));
    await Promise.all(sessions.map(getCourses));
    const before = await sessionsPerWorker();
    const onVictim = before[1]!;
    expect(onVictim).toBeGreaterThan(0);
    // The connection's end as the client receives it: ncat closes its stdout
    // (the client's input) when HAProxy closes the TCP connection. ncat only
    // exits, which is what the SDK's transport watches, once the client writes again.
    const ncatPid = new Map(sessions.map((c) => [c, (c.transport as StdioClientTransport).pid!]));
    const cutAt = new Map<Client, number>();
    const exitedAt = new Map<Client, number>();
    for (const c of sessions) c.onclose = () => exitedAt.set(c, Date.now());
    const victimPid = stack.workerPid(2);

    const t0 = Date.now();
    process.kill(victimPid, 'SIGKILL');

    const watchingCuts = waitFor(
      "the dead worker's sessions to be cut",
      () => {
        for (const [c, pid] of ncatPid) if (!cutAt.has(c) && !existsSync(`/proc/${pid}/fd/1`)) cutAt.set(c, Date.now());
        return cutAt.size >= onVictim;
      },
      { timeoutMs: 5_000, intervalMs: 10 },
    );
    // HAProxy marks it DOWN (runtime API), measured from the kill.
    const markedDown = waitFor(
      'worker-2 DOWN in HAProxy',
      async () => ((await haproxyServers(stack.socket)).get('worker-2')?.status === 'DOWN' ? Date.now() - t0 : undefined),
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    // Meanwhile: new teachers keep connecting (waves of 5), and every open session keeps calling tools.
    const newConnects = { ok: 0, failed: [] as string[] };
    const connecting = (async () => {
      for (let wave = 0; wave < 6; wave++) {
        await Promise.all(
          Array.from({ length: 5 }, async () => {
            try {
              const c = await connect('newcomer');
              await getCourses(c);
              await disconnect(c);
              newConnects.ok++;
            } catch (err) {
              newConnects.failed.push(err instanceof Error ? err.message : String(err));
            }
          }),
        );
      }
    })();
    const errors = new Map<Client, string[]>();
    const calling = (async () => {
      for (let round = 0; round < 5; round++) {
        await Promise.all(
          sessions.map(async (c) => {
            if (exitedAt.has(c)) return;
            try {
              // A cut session's request gets no answer; 2 s bounds the wait.
              const r = await c.callTool({ name: 'get_courses', arguments: { perPage: 3 } }, undefined, { timeout: 2_000 });
              if (r.isError) throw new Error(resultText(r));
            } catch (err) {
              errors.set(c, [...(errors.get(c) ?? []), err instanceof Error ? err.message : String(err)]);
            }
          }),
        );
      }
    })();
    const downMs = await markedDown;
    await Promise.all([connecting, calling, watchingCuts]);

    // Exactly the sessions of the dead worker were cut, at once (not left hanging)...
    expect(cutAt.size).toBe(onVictim);
    const cutMs = Math.max(...[...cutAt.values()].map((at) => at - t0));
    expect(cutMs).toBeLessThan(2_000);
    // ...and their clients noticed: a request with a timeout fails, then the transport closes.
    await waitFor('the cut clients to close', () => [...cutAt.keys()].every((c) => exitedAt.has(c)), { timeoutMs: 10_000 });
    // Every other session saw no error at all.
    for (const [c, errs] of errors) expect({ cut: cutAt.has(c), errs }).toMatchObject({ cut: true });
    expect(newConnects).toEqual({ ok: 30, failed: [] });
    // Marked DOWN within one check interval plus two fast re-checks (fall 3), with scheduling slack.
    expect(downMs).toBeLessThan(CHECK_INTER_MS + 2 * CHECK_FASTINTER_MS + 1_000);

    // The supervisor restarts it; HAProxy's checks bring it back by themselves.
    const rejoinMs = await waitFor(
      'worker-2 UP again',
      async () => ((await haproxyServers(stack.socket)).get('worker-2')?.status === 'UP' ? Date.now() - t0 : undefined),
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    expect(stack.workerPid(2)).not.toBe(victimPid);
    // leastconn sends new sessions to the emptiest worker: the restarted one.
    const fresh = await Promise.all(Array.from({ length: 3 }, () => connect('after-restart')));
    await Promise.all(fresh.map(getCourses));
    expect((await health(2)).sessions).toBeGreaterThan(0);
    process.stdout.write(
      `worker-2 SIGKILLed with ${onVictim} of 30 sessions: its sessions cut within ${cutMs} ms, marked DOWN after ${downMs} ms, ` +
        `UP again after ${rejoinMs} ms; ${newConnects.ok} new connections meanwhile, 0 failed\n`,
    );
    await Promise.all([...sessions, ...fresh].map(disconnect));
  }, 60_000);

  it('refuses a connection from an address outside the allow-list', async () => {
    const attempt = (localAddress: string, port: number) =>
      new Promise<{ data: string; closed: boolean }>((resolve, reject) => {
        let data = '';
        const s = net.connect({ host: '127.0.0.1', port, localAddress });
        s.setEncoding('utf8');
        s.on('connect', () =>
          s.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }) + '\n'),
        );
        s.on('data', (chunk: string) => {
          data += chunk;
          if (data.includes('\n')) s.destroy();
        });
        s.on('error', () => undefined);
        s.on('close', () => resolve({ data, closed: true }));
        setTimeout(() => {
          s.destroy();
          reject(new Error(`no close within 5 s from ${localAddress}`));
        }, 5_000).unref();
      });
    // 127.0.0.2 is not in this stack's allow-list (127.0.0.1 only): closed without a byte.
    expect(await attempt('127.0.0.2', stack.mcpPort)).toEqual({ data: '', closed: true });
    expect(await attempt('127.0.0.2', stack.statsPort)).toEqual({ data: '', closed: true });
    // The same request from an allowed address is answered.
    expect((await attempt('127.0.0.1', stack.mcpPort)).data).toContain('"protocolVersion"');
  });

  it('serves the stats page only with the password, and Prometheus metrics at /metrics', async () => {
    const base = `http://127.0.0.1:${stack.statsPort}`;
    expect((await fetch(`${base}/`)).status).toBe(401);
    const password = readFileSync(path.join(stack.runDir, 'stats.password'), 'utf8').trim();
    const auth = { Authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` };
    const csv = await (await fetch(`${base}/;csv`, { headers: auth })).text();
    expect(csv).toMatch(/^workers,worker-1,/m);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^haproxy_server_status\{proxy="workers",server="worker-3",state="UP"\} 1$/m);
  });

  it('shows processes, HAProxy server states and sessions per worker in status', async () => {
    const r = await stack.local('status');
    expect(r.code).toBe(0);
    for (const name of ['haproxy', 'redis', 'moodle-sim', 'supervisor']) expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\d+ +running$`, 'm'));
    for (const i of [1, 2, 3]) {
      expect(r.stdout).toMatch(new RegExp(`^  worker-${i} +UP +L7OK +\\d+ +\\d+  127\\.0\\.0\\.1:\\d+$`, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^  worker-${i} +ready +\\d+$`, 'm'));
    }
  });

  it('scales to 4 workers and back to 3 through the runtime API, without touching haproxy.cfg', async () => {
    const cfg = readFileSync(path.join(ROOT, 'haproxy/haproxy.cfg'), 'utf8');
    const grow = await stack.local('scale', '4');
    expect(grow).toMatchObject({ code: 0 });
    expect((await haproxyServers(stack.socket)).get('worker-4')?.status).toBe('UP');
    const fourth = stack.workerPid(4);
    const shrink = await stack.local('scale', '3');
    expect(shrink).toMatchObject({ code: 0 });
    const servers = await haproxyServers(stack.socket);
    expect([...servers.keys()].sort()).toEqual(['worker-1', 'worker-2', 'worker-3']);
    expect(processRuns(fourth)).toBe(false);
    expect(readFileSync(path.join(ROOT, 'haproxy/haproxy.cfg'), 'utf8')).toBe(cfg);
  }, 60_000);

  it('stops everything with make local-down and leaves no process behind', async () => {
    const pids = stack.pids();
    expect(pids.length).toBeGreaterThanOrEqual(7); // haproxy, redis, moodle-sim, supervisor, 3 workers
    const r = await stack.make('local-down');
    expect(r).toMatchObject({ code: 0 });
    expect(pids.filter(processRuns)).toEqual([]);
    expect(stack.pids()).toEqual([]);
    await expect(
      new Promise((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port: stack.mcpPort });
        s.on('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.on('error', reject);
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
  }, 60_000);
});
