import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { haproxyServers } from '../helpers/haproxy.js';
import { connectViaHttp, connectViaNcat, resultText } from '../helpers/mcp.js';
import { prepareNativeStack, ROOT, run, type NativeStack } from '../helpers/nativeStack.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The proxy service over the native runner: real HAProxy driven through its
 * runtime API, 3 real worker processes in two targets (primary: worker-1 and
 * worker-2; standby: worker-3), moodle-sim, teachers' clients being the MCP
 * SDK's Client over ncat to the VIP. Deep checks every 400 ms; failover after
 * 2 failed rounds.
 */
const INTERVAL_MS = 400;
const THRESHOLD = 2;
const TOKEN = 'test-admin-token-0123456789abcdef';

describe('the proxy: deep health checks, failover, HAProxy control, CLI, API', () => {
  let stack: NativeStack;
  let base: string;
  const clients = new Set<Client>();

  const connect = async (): Promise<Client> => {
    const c = await connectViaNcat('127.0.0.1', stack.mcpPort, 'teacher');
    clients.add(c);
    return c;
  };
  const status = async (): Promise<any> => (await fetch(`${base}/api/proxy/status`)).json() as Promise<any>;
  // Sessions HAProxy has sent to worker-I so far. (The workers' own session
  // counts also see the proxy's deep checks, which connect to them directly.)
  const sessions = async (i: number): Promise<number> => (await haproxyServers(stack.socket)).get(`worker-${i}`)?.stot ?? NaN;
  /** `mcpctl ARGS` against this proxy; `token: null` runs it without any admin token. */
  const mcpctl = (args: string[], token: string | null = TOKEN) => {
    const env: NodeJS.ProcessEnv = { ...stack.env, PROXY_URL: base };
    if (token === null) delete env.PROXY_ADMIN_TOKEN;
    else env.PROXY_ADMIN_TOKEN = token;
    return run('node', [path.join(ROOT, 'services/proxy/dist/cli.js'), ...args], env, 20_000);
  };
  const adminState = async (name: string) => (await haproxyServers(stack.socket)).get(name)?.status;

  beforeAll(async () => {
    stack = await prepareNativeStack({
      workers: 3,
      env: {
        STANDBY_WORKERS: '1',
        PROXY_ADMIN_TOKEN: TOKEN,
        PROXY_HEALTH_INTERVAL_MS: String(INTERVAL_MS),
        PROXY_FAILOVER_THRESHOLD: String(THRESHOLD),
        HAPROXY_CHECK_INTER: '500ms',
        HAPROXY_CHECK_FASTINTER: '200ms',
        DRAIN_TIMEOUT_MS: '2000',
      },
    });
    base = `http://127.0.0.1:${stack.proxyPort}`;
    const up = await stack.make('local');
    if (up.code !== 0) throw new Error(`make local failed (${up.code}):\n${up.stdout}\n${up.stderr}`);
    expect(up.stdout).toContain(`proxy: UI http://127.0.0.1:${stack.proxyPort}/ui/`);
    expect(up.stdout + up.stderr).not.toContain(TOKEN);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([...clients].map((c) => c.close().catch(() => undefined)));
    await stack?.down();
  }, 60_000);

  it('starts with primary active, both targets healthy, and HAProxy sending new sessions to primary only', async () => {
    const s = await waitFor('both targets healthy', async () => {
      const st = await status();
      return st.targets.every((t: any) => t.healthy) ? st : undefined;
    });
    expect(s.active.target).toBe('primary');
    expect(s.targets.map((t: any) => [t.name, t.healthy, t.passing])).toEqual([
      ['primary', true, 2],
      ['standby', true, 1],
    ]);
    await waitFor('HAProxy states set by the proxy', async () => (await adminState('worker-1')) === 'UP' && (await adminState('worker-3')) === 'DRAIN');
    const health = (await (await fetch(`${base}/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
    const config = await (await fetch(`${base}/config`)).text();
    expect(config).not.toContain(TOKEN);
  });

  it('refuses a switch without the admin token or with a wrong one (401), and changes nothing', async () => {
    const none = await fetch(`${base}/api/proxy/switch`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ target: 'standby' }) });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { message: string }).message).toMatch(/Authorization: Bearer/);
    const wrong = await mcpctl(['switch', 'standby'], 'not-the-token-0123456789');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('HTTP 401');
    expect(wrong.stderr).not.toContain('not-the-token-0123456789');
    const missing = await mcpctl(['switch', 'standby'], null);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('PROXY_ADMIN_TOKEN');
    expect((await status()).active.target).toBe('primary');
    expect(await adminState('worker-3')).toBe('DRAIN');
  });

  it('switches by the CLI: HAProxy then sends new ncat sessions to the new target', async () => {
    const r = await mcpctl(['switch', 'standby']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('active target is now standby');
    await waitFor('standby ready and primary draining in HAProxy', async () => (await adminState('worker-3')) === 'UP' && (await adminState('worker-1')) === 'DRAIN' && (await adminState('worker-2')) === 'DRAIN');
    const before = await sessions(3);
    const c = await connect();
    expect(resultText(await c.callTool({ name: 'get_site_info', arguments: {} }))).toContain('Riverside Academy');
    expect(await sessions(3)).toBe(before + 1);
    const back = await mcpctl(['switch', 'primary', '--json']);
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout).target).toBe('primary');
    await waitFor('primary ready again', async () => (await adminState('worker-1')) === 'UP' && (await adminState('worker-3')) === 'DRAIN');
  });

  it("keeps a worker's open session working after the CLI drains it, while new sessions go elsewhere", async () => {
    const counts = [await sessions(1), await sessions(2)];
    const teacher = await connect();
    await teacher.callTool({ name: 'get_courses', arguments: { perPage: 2 } });
    // The worker whose HAProxy session count grew holds the teacher's session.
    const held = (await sessions(1)) > counts[0]! ? 1 : 2;
    const other = held === 1 ? 2 : 1;
    expect(await sessions(other)).toBe(counts[other - 1]);
    const drained = await mcpctl(['drain', `worker-${held}`]);
    expect(drained.code).toBe(0);
    await waitFor(`worker-${held} draining in HAProxy`, async () => (await adminState(`worker-${held}`)) === 'DRAIN');
    const heldBefore = await sessions(held);
    const otherBefore = await sessions(other);
    const fresh = await Promise.all([connect(), connect(), connect()]);
    for (const c of fresh) expect((await c.callTool({ name: 'get_courses', arguments: { perPage: 1 } })).isError).toBeFalsy();
    expect(await sessions(held)).toBe(heldBefore);
    expect(await sessions(other)).toBe(otherBefore + 3);
    const r = await teacher.callTool({ name: 'list_students', arguments: { courseId: 2 } });
    expect(r.isError).toBeFalsy();
    const list = JSON.parse((await mcpctl(['list', '--json'])).stdout);
    expect(list.find((w: any) => w.name === `worker-${held}`).drained).toBe(true);
    expect((await mcpctl(['enable', `worker-${held}`])).code).toBe(0);
    await waitFor(`worker-${held} ready again`, async () => (await adminState(`worker-${held}`)) === 'UP');
  });

  it("answers the Python client's calls (python3, standard library only)", async () => {
    const r = await run('python3', ['-m', 'unittest', 'discover', '-v', '-s', 'clients/python', '-p', 'test_mcp_manager.py'], { ...stack.env, PROXY_URL: base, PROXY_ADMIN_TOKEN: TOKEN, PYTHONDONTWRITEBYTECODE: '1' }, 60_000);
    if (r.code !== 0) throw new Error(`python client tests failed:\n${r.stdout}\n${r.stderr}`);
    expect(r.stderr).toMatch(/Ran \d+ tests[\s\S]*OK/);
  }, 60_000);

  it('serves an MCP session over Streamable HTTP on /mcp, on a worker of the active target', async () => {
    const { client } = await connectViaHttp(`${base}/mcp`);
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toContain('get_courses');
      const r = await client.callTool({ name: 'get_courses', arguments: { perPage: 2 } });
      expect(r.isError).toBeFalsy();
      expect((r.structuredContent as { courses: unknown[] }).courses).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it('fails over to standby when every primary worker dies: HAProxy follows, /ws tells, the lock file and a restarted proxy agree', async () => {
    const events: any[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${stack.proxyPort}/ws`);
    ws.on('message', (m) => events.push(JSON.parse(String(m))));
    try {
      await waitFor('the /ws hello', () => events.some((e) => e.type === 'hello'));
      // No restarts: the supervisor goes first, then both primary workers die.
      process.kill(Number(readFileSync(path.join(stack.runDir, 'supervisor.pid'), 'utf8')), 'SIGTERM');
      const killedAt = Date.now();
      process.kill(stack.workerPid(1), 'SIGKILL');
      process.kill(stack.workerPid(2), 'SIGKILL');
      const sw = await waitFor('a switch event on /ws', () => events.find((e) => e.type === 'switch'), { timeoutMs: 15_000 });
      const tookMs = Date.now() - killedAt;
      process.stdout.write(`failover: switch to ${sw.to} seen on /ws ${tookMs} ms after the kill (threshold ${THRESHOLD} x interval ${INTERVAL_MS} ms)\n`);
      expect(sw).toMatchObject({ from: 'primary', to: 'standby', kind: 'failover' });
      // Up to one interval passes before the first round that sees the dead workers.
      expect(tookMs).toBeLessThanOrEqual((THRESHOLD + 1) * INTERVAL_MS + 3_000);
      expect(events.some((e) => e.type === 'worker' && e.worker === 'worker-1' && e.status === 'down')).toBe(true);

      await waitFor('worker-3 ready and the dead workers in maintenance', async () => (await adminState('worker-3')) === 'UP' && (await adminState('worker-1')) === 'MAINT');
      const before = await sessions(3);
      const c = await connect();
      const tools = await c.listTools();
      expect(tools.tools.length).toBeGreaterThan(5);
      expect((await c.callTool({ name: 'get_courses', arguments: { perPage: 1 } })).isError).toBeFalsy();
      expect(await sessions(3)).toBe(before + 1);

      const lock = JSON.parse(readFileSync(path.join(stack.runDir, 'active_system.lock'), 'utf8'));
      expect(lock.active).toBe('standby');
      expect(lock.reason).toMatch(/^failover/);

      const restarted = await stack.local('restart-proxy');
      expect(restarted.code).toBe(0);
      const s = await status();
      expect(s.active.target).toBe('standby');
      expect(s.active.reason).toBe(lock.reason);
    } finally {
      ws.close();
    }
  }, 60_000);
});
