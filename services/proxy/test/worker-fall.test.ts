import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSim, type SimHandle } from '@moodle-mcp/moodle-sim';
import { loadProxyConfig } from '../src/config.js';
import type { ProxyEvent, WorkerView } from '../src/views.js';
import { startProxy, type ProxyHandle } from '../src/proxy.js';
import { captureLogger } from '../../../test/helpers/captureLogger.js';
import { startStack, type TestStack } from '../../../test/helpers/stack.js';
import { TcpRelay } from '../../../test/helpers/tcpRelay.js';
import { waitFor } from '../../../test/helpers/wait.js';

const TOKEN = 'worker-fall-test-token-0123456789';
let sim: SimHandle;
let w1: TestStack;
let w2: TestStack;
/**
 * Relays in front of w1's two ports: hung, w1 is a worker frozen or starved
 * of CPU (the proxy's checks time out); closed, its process is gone
 * (connections refused).
 */
let relays: { mcp: TcpRelay; http: TcpRelay };
let tmp: string;
let proxy: ProxyHandle;
const events: ProxyEvent[] = [];
/** Consecutive failed checks each worker had when the proxy declared it down. */
const failedWhenDown: Record<string, number[]> = {};
const logs = captureLogger('proxy', [TOKEN]);

const worker = (name: string) => proxy.controller.worker(name) as WorkerView;
const hang = (on: boolean) => [relays.mcp, relays.http].forEach((r) => (on ? r.hang() : r.pass()));

beforeAll(async () => {
  sim = await startSim({ port: 0 });
  w1 = await startStack({ WORKER_ID: 'w1' }, { shared: sim });
  w2 = await startStack({ WORKER_ID: 'w2' }, { shared: sim });
  relays = { mcp: await TcpRelay.start({ host: '127.0.0.1', port: w1.port }), http: await TcpRelay.start({ host: '127.0.0.1', port: w1.worker.httpPort! }) };
  tmp = mkdtempSync(path.join(os.tmpdir(), 'proxy-fall-'));
  writeFileSync(
    path.join(tmp, 'proxy.json'),
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0 },
      targets: [
        {
          name: 'only',
          priority: 1,
          workers: [
            { name: 'w1', host: '127.0.0.1', mcpPort: relays.mcp.port, httpPort: relays.http.port },
            { name: 'w2', host: '127.0.0.1', mcpPort: w2.port, httpPort: w2.worker.httpPort! },
          ],
        },
      ],
      workerFall: 3,
      healthCheckIntervalMs: 150,
      healthCheckTimeoutMs: 300,
      lockFile: 'active_system.lock',
      logging: { dir: 'logs' },
    }),
  );
  proxy = await startProxy(loadProxyConfig({ PROXY_CONFIG_FILE: path.join(tmp, 'proxy.json'), PROXY_ADMIN_TOKEN: TOKEN }), { logger: logs.logger });
  proxy.controller.on('event', (e: ProxyEvent) => {
    events.push(e);
    if (e.type === 'worker' && e.status === 'down') (failedWhenDown[e.worker] ??= []).push(worker(e.worker).failedChecks);
  });
  await waitFor('both workers up', () => worker('w1').status === 'up' && worker('w2').status === 'up');
});

afterAll(async () => {
  await proxy?.stop();
  await relays?.mcp.close();
  await relays?.http.close();
  await w1?.stop();
  await w2?.stop();
  await sim?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('when the proxy counts a worker as down', () => {
  it('keeps a worker that misses a check or two up, and in HAProxy ready (its sessions are not cut)', async () => {
    const before = events.length;
    hang(true);
    await waitFor('w1 to fail a check', () => worker('w1').failedChecks >= 1, { timeoutMs: 5_000, intervalMs: 5 });
    hang(false);
    await waitFor('w1 to pass again', () => worker('w1').failedChecks === 0, { timeoutMs: 5_000 });
    expect(events.slice(before).filter((e) => e.type === 'worker' && e.worker === 'w1')).toEqual([]);
    expect(proxy.controller.desiredServerStates().get('w1')).toBe('ready');
    expect(logs.lines.some((l) => l.message === 'worker failed a check' && l.worker === 'w1')).toBe(true);
  });

  it('counts a worker that keeps failing as down after workerFall consecutive checks, and puts it in maintenance', async () => {
    hang(true);
    await waitFor('w1 down', () => worker('w1').status === 'down', { timeoutMs: 10_000 });
    expect(failedWhenDown.w1?.at(-1)).toBe(3);
    expect(proxy.controller.desiredServerStates()).toEqual(new Map([['w1', 'maint'], ['w2', 'ready']]));
    hang(false);
    await waitFor('w1 up again', () => worker('w1').status === 'up', { timeoutMs: 10_000 });
  });

  it('counts a worker that refuses connections (process gone) as down at its first failed check', async () => {
    await relays.http.close();
    await waitFor('w1 down', () => worker('w1').status === 'down', { timeoutMs: 10_000 });
    expect(failedWhenDown.w1?.at(-1)).toBe(1);
    await relays.http.reopen();
    await waitFor('w1 up again', () => worker('w1').status === 'up', { timeoutMs: 10_000 });
  });

  it('never puts the last workers of the active target in maintenance: HAProxy’s own checks decide', async () => {
    hang(true);
    const w2Ports = { MCP_PORT: String(w2.port), HTTP_PORT: String(w2.worker.httpPort) };
    await w2.stop();
    await waitFor('both down', () => worker('w1').status === 'down' && worker('w2').status === 'down', { timeoutMs: 10_000 });
    expect(proxy.controller.desiredServerStates()).toEqual(new Map([['w1', 'ready'], ['w2', 'ready']]));
    // One of them back: the other, still failing, goes to maintenance again.
    w2 = await startStack({ WORKER_ID: 'w2', ...w2Ports }, { shared: sim });
    await waitFor('w2 up again', () => worker('w2').status === 'up', { timeoutMs: 10_000 });
    expect(proxy.controller.desiredServerStates()).toEqual(new Map([['w1', 'maint'], ['w2', 'ready']]));
    hang(false);
    await waitFor('w1 up again', () => worker('w1').status === 'up', { timeoutMs: 10_000 });
  });
});
