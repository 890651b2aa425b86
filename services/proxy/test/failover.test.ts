import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSim, type SimHandle } from '@moodle-mcp/moodle-sim';
import { loadProxyConfig } from '../src/config.js';
import type { ProxyEvent } from '../src/views.js';
import { startProxy, type ProxyHandle } from '../src/proxy.js';
import { captureLogger } from '../../../test/helpers/captureLogger.js';
import { startStack, type TestStack } from '../../../test/helpers/stack.js';
import { waitFor } from '../../../test/helpers/wait.js';

/**
 * The proxy's decisions against real in-process workers (HAProxy not driven):
 * primary [p1] and standby [s1], deep checks every 200 ms, failover after 2
 * failed rounds, failback `auto` after 3 healthy rounds.
 */
const TOKEN = 'failover-test-token-0123456789';
let sim: SimHandle;
let p1: TestStack;
let s1: TestStack;
let tmp: string;
let proxy: ProxyHandle;
const events: ProxyEvent[] = [];
const logs = captureLogger('proxy', [TOKEN]);

const status = async () => (await (await fetch(`${proxy.url}/api/proxy/status`)).json()) as { active: { target: string; reason: string }; targets: { name: string; healthy: boolean }[] };
const post = (p: string, body?: unknown) =>
  fetch(`${proxy.url}${p}`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

beforeAll(async () => {
  sim = await startSim({ port: 0 });
  p1 = await startStack({ WORKER_ID: 'p1' }, { shared: sim });
  s1 = await startStack({ WORKER_ID: 's1' }, { shared: sim });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'proxy-failover-'));
  const w = (name: string, s: TestStack) => ({ name, host: '127.0.0.1', mcpPort: s.port, httpPort: s.worker.httpPort! });
  writeFileSync(
    path.join(tmp, 'proxy.json'),
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0 },
      targets: [
        { name: 'primary', priority: 1, workers: [w('p1', p1)] },
        { name: 'standby', priority: 2, workers: [w('s1', s1)] },
      ],
      failoverThreshold: 2,
      healthCheckIntervalMs: 200,
      healthCheckTimeoutMs: 2000,
      failback: { policy: 'auto', afterHealthyChecks: 3 },
      lockFile: 'active_system.lock',
      logging: { dir: 'logs' },
    }),
  );
  proxy = await startProxy(loadProxyConfig({ PROXY_CONFIG_FILE: path.join(tmp, 'proxy.json'), PROXY_ADMIN_TOKEN: TOKEN }), { logger: logs.logger });
  proxy.controller.on('event', (e: ProxyEvent) => events.push(e));
});

afterAll(async () => {
  await proxy?.stop();
  await p1?.stop();
  await s1?.stop();
  await sim?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('failover and failback between targets', () => {
  it('starts on the highest-priority target and writes it to the lock file', async () => {
    await waitFor('both targets healthy', async () => (await status()).targets.every((t) => t.healthy));
    expect((await status()).active.target).toBe('primary');
    expect(JSON.parse(readFileSync(path.join(tmp, 'active_system.lock'), 'utf8')).active).toBe('primary');
  });

  it('refuses a switch to an unknown target (404), a malformed body (400) and the target already active (409)', async () => {
    const bad = await post('/api/proxy/switch', { target: 'nowhere' });
    expect(bad.status).toBe(404);
    const malformed = await post('/api/proxy/switch', { target: 'standby', force: 'yes' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { message: string }).message).toMatch(/force/);
    const same = await post('/api/proxy/switch', { target: 'primary' });
    expect(same.status).toBe(409);
    expect((await status()).active.target).toBe('primary');
  });

  it('fails over when the active target dies, then fails back by itself once it is healthy again', async () => {
    const ports = { MCP_PORT: String(p1.port), HTTP_PORT: String(p1.worker.httpPort) };
    await p1.stop();
    const over = await waitFor('failover to standby', () => events.find((e) => e.type === 'switch' && e.kind === 'failover'), { timeoutMs: 10_000 });
    expect(over).toMatchObject({ from: 'primary', to: 'standby' });
    expect((await status()).active).toMatchObject({ target: 'standby', reason: expect.stringMatching(/^failover: target primary failed 2 consecutive checks/) });
    // The same worker comes back on the same ports.
    p1 = await startStack({ WORKER_ID: 'p1', ...ports }, { shared: sim });
    const back = await waitFor('failback to primary', () => events.find((e) => e.type === 'switch' && e.kind === 'failback'), { timeoutMs: 10_000 });
    expect(back).toMatchObject({ from: 'standby', to: 'primary', reason: expect.stringMatching(/passed 3 consecutive checks/) });
    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    expect(metrics).toMatch(/^proxy_target_switches_total\{reason="failover"\} 1$/m);
    expect(metrics).toMatch(/^proxy_target_switches_total\{reason="failback"\} 1$/m);
    expect(metrics).toMatch(/^proxy_active_target\{target="primary"\} 1$/m);
  });

  it('keeps the active target and says so once when no target is healthy', async () => {
    const before = events.length;
    const ports = [p1, s1].map((s) => ({ MCP_PORT: String(s.port), HTTP_PORT: String(s.worker.httpPort) }));
    await Promise.all([p1.stop(), s1.stop()]);
    await waitFor('the no-healthy-target event', () => events.slice(before).some((e) => e.type === 'no_healthy_target'), { timeoutMs: 10_000 });
    expect((await status()).active.target).toBe('primary');
    const health = await fetch(`${proxy.url}/health`);
    expect(health.status).toBe(503);
    // Several more rounds: still one event, and still primary.
    const rounds = async (n: number) => {
      for (let i = 0; i < n; i++) await proxy.controller.runRound();
    };
    await rounds(3);
    expect(events.slice(before).filter((e) => e.type === 'no_healthy_target')).toHaveLength(1);
    expect(logs.lines.filter((l) => l.message === 'no healthy target to fail over to; keeping the active one')).toHaveLength(1);
    p1 = await startStack({ WORKER_ID: 'p1', ...ports[0] }, { shared: sim });
    s1 = await startStack({ WORKER_ID: 's1', ...ports[1] }, { shared: sim });
    await waitFor('both targets healthy again', async () => (await status()).targets.every((t) => t.healthy));
  });

  it('reads the active target back from the lock file when it restarts', async () => {
    expect((await post('/api/proxy/switch', { target: 'standby' })).status).toBe(200);
    const config = loadProxyConfig({ PROXY_CONFIG_FILE: path.join(tmp, 'proxy.json'), PROXY_ADMIN_TOKEN: TOKEN, PROXY_FAILBACK: 'manual' });
    await proxy.stop();
    proxy = await startProxy(config, { logger: logs.logger });
    const s = await status();
    expect(s.active).toMatchObject({ target: 'standby', reason: expect.stringMatching(/^manual: by api/) });
  });

  it('never logs the admin token', () => {
    expect(JSON.stringify(logs.lines)).not.toContain(TOKEN);
  });
});
