import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { RpcCodes } from '@moodle-mcp/common';
import { SEED } from '@moodle-mcp/moodle-sim';
import { haproxyServers } from '../helpers/haproxy.js';
import { resultText } from '../helpers/mcp.js';
import { prepareNativeStack, ROOT, type NativeStack } from '../helpers/nativeStack.js';
import { freePort } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const BRIDGE = path.join(ROOT, 'services/mcp-connect/dist/main.js');

/**
 * mcp-connect, the reconnecting bridge, in place of ncat: the MCP SDK's
 * Client launches it; it talks to the native stack's VIP (real HAProxy, 3
 * workers, Redis, moodle-sim answering slowly so calls are in flight).
 */
describe('mcp-connect: a client bridge that survives a dying worker', () => {
  let stack: NativeStack;
  let client: Client;
  let stderr = '';
  const sim = () => `http://127.0.0.1:${stack.env.SIM_PORT}`;
  const simRequests = async (): Promise<number> => {
    const s = (await (await fetch(`${sim()}/__sim/stats`)).json()) as { byFunction: Record<string, number> };
    return Object.values(s.byFunction).reduce((a, b) => a + b, 0);
  };
  const setLatency = (latencyMs: number) => fetch(`${sim()}/__sim/faults`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ latencyMs }) });
  const totals = async () => new Map([...(await haproxyServers(stack.socket))].map(([name, s]) => [name, s.stot]));

  beforeAll(async () => {
    stack = await prepareNativeStack({ workers: 3, env: { PROXY: '0', HAPROXY_CHECK_INTER: '500ms', HAPROXY_CHECK_FASTINTER: '200ms', MOODLE_RETRIES: '0' } });
    const up = await stack.make('local');
    if (up.code !== 0) throw new Error(`make local failed (${up.code}):\n${up.stdout}\n${up.stderr}`);
  }, 90_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await stack?.down();
  }, 60_000);

  it('retries the reads in flight on another worker and answers the write in flight with "may not have been applied"', async () => {
    const before = await totals();
    const transport = new StdioClientTransport({ command: 'node', args: [BRIDGE, `127.0.0.1:${stack.mcpPort}`], stderr: 'pipe', env: { ...process.env, MCP_CONNECT_VERBOSE: '1' } as Record<string, string> });
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    client = new Client({ name: 'teacher-via-mcp-connect', version: '1.0.0' });
    await client.connect(transport);
    const tools = await client.listTools();
    expect(tools.tools.find((t) => t.name === 'provide_assignment_feedback')?.annotations?.readOnlyHint).toBeFalsy();
    const after = await totals();
    const held = [...after].find(([name, n]) => n > (before.get(name) ?? 0))![0];

    await setLatency(2_000);
    const sent = await simRequests();
    const reads = [
      client.callTool({ name: 'list_students', arguments: { courseId: SEED.courseId } }),
      client.callTool({ name: 'get_assignments', arguments: { courseId: SEED.courseId } }),
      client.callTool({ name: 'get_quizzes', arguments: { courseId: SEED.courseId } }),
    ];
    const write = client
      .callTool({ name: 'provide_assignment_feedback', arguments: { assignmentId: SEED.assignmentId, userId: SEED.draftStudentId, grade: 71, feedback: 'in flight' } })
      .then(
        (r) => ({ ok: true as const, r }),
        (e: unknown) => ({ ok: false as const, e }),
      );
    await waitFor('the four calls to reach Moodle', async () => (await simRequests()) >= sent + 4);
    const i = Number(held.replace('worker-', ''));
    process.kill(stack.workerPid(i), 'SIGKILL');
    await setLatency(0);

    const answered = await Promise.all(reads);
    for (const r of answered) expect(r.isError).toBeFalsy();
    expect((answered[0]!.structuredContent as { users: unknown[] }).users.length).toBeGreaterThan(0);
    const w = await write;
    expect(w.ok).toBe(false);
    expect(w.ok === false && w.e instanceof McpError && w.e.code).toBe(RpcCodes.MAYBE_APPLIED);
    expect(String(w.ok === false && (w.e as Error).message)).toMatch(/may or may not have been applied/);

    // The session goes on, on another worker, without a new initialize by the client.
    const again = await client.callTool({ name: 'get_site_info', arguments: {} });
    expect(resultText(again)).toContain('Riverside Academy');
    expect(stderr).toContain('reconnected; session restored');
    expect(stderr).toMatch(/"resent":3/);
  }, 60_000);

  it('tells the client and exits 1 when the server stays unreachable', async () => {
    const port = await freePort(); // nothing listens there
    const child = spawn('node', [BRIDGE, `127.0.0.1:${port}`, '--give-up-after', '1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) + '\n');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(JSON.parse(out.trim())).toMatchObject({ id: 1, error: { message: expect.stringMatching(/cannot be reached/) } });
  }, 20_000);

  it('refuses bad arguments with exit code 2 and the usage', async () => {
    const child = spawn('node', [BRIDGE, 'no-port-here'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(2);
    expect(err).toMatch(/expected HOST:PORT/);
  });
});
