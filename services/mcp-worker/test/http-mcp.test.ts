import net from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { SEED } from '@moodle-mcp/moodle-sim';
import { LineSocket } from '../../../test/helpers/lineSocket.js';
import { connectViaHttp, resultText } from '../../../test/helpers/mcp.js';
import { metric } from '../../../test/helpers/metrics.js';
import { startStack, type TestStack } from '../../../test/helpers/stack.js';
import { waitFor } from '../../../test/helpers/wait.js';

type HttpClient = { client: Client; transport: StreamableHTTPClientTransport };

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw-http', version: '1.0.0' } },
};

/** One raw request to /mcp; the body is read to the end so no connection is left busy. */
async function request(stack: TestStack, method: string, body?: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(`${stack.httpUrl}/mcp`, {
    method,
    headers: { ...MCP_HEADERS, ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  const json = r.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined;
  return { status: r.status, headers: r.headers, text, json };
}

/** A session opened with a bare initialize POST: no GET stream, so nothing keeps it from going idle. */
async function rawSession(stack: TestStack): Promise<string> {
  const r = await request(stack, 'POST', INITIALIZE);
  expect(r.status).toBe(200);
  return r.headers.get('mcp-session-id')!;
}

const ping = (sessionId: string) => ['POST', { jsonrpc: '2.0', id: 7, method: 'ping' }, { 'mcp-session-id': sessionId }] as const;

/** Ends a client's session on the worker (DELETE) and closes it, so no reconnect timer outlives the test. */
async function end(c: HttpClient): Promise<void> {
  await c.transport.terminateSession().catch(() => undefined);
  await c.client.close();
}

describe('MCP over Streamable HTTP at /mcp on the HTTP port', () => {
  let stack: TestStack;
  let url: string;
  const clients: HttpClient[] = [];
  const connect = async (name?: string) => {
    const c = await connectViaHttp(url, name);
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    stack = await startStack({ MAX_LINE_BYTES: '4096' });
    url = `${stack.httpUrl}/mcp`;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map(end));
  });
  afterAll(() => stack.stop());

  it("initializes, lists the tools and answers get_courses and get_site_info with the simulator's data", async () => {
    const { client, transport } = await connect();
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(client.getServerVersion()?.name).toBe('moodle-mcp-worker');
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['get_courses', 'get_site_info', 'get_submissions', 'provide_assignment_feedback']));
    const site = await client.callTool({ name: 'get_site_info', arguments: {} });
    expect(resultText(site)).toContain('Tessa Lindqvist');
    expect(resultText(site)).toContain('Riverside Academy');
    const courses = (await client.callTool({ name: 'get_courses', arguments: {} })).structuredContent as { courses: { id: number }[] };
    expect(courses.courses.map((c) => c.id)).toEqual(expect.arrayContaining([SEED.courseId, SEED.otherCourseId]));
    expect(await metric(stack, 'mcp_sessions_open', 'transport="http"')).toBeGreaterThanOrEqual(1);
    expect(await metric(stack, 'mcp_sessions_open', 'transport="tcp"')).toBe(0);
    expect(await metric(stack, 'mcp_tool_calls_total', 'tool="get_courses",outcome="ok"')).toBeGreaterThanOrEqual(1);
  });

  it('keeps two concurrent sessions independent', async () => {
    const before = stack.worker.sessionCount();
    const a = await connect('a');
    const b = await connect('b');
    expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
    expect(stack.worker.sessionCount()).toBe(before + 2);
    const [courses, site] = await Promise.all([
      a.client.callTool({ name: 'get_courses', arguments: {} }),
      b.client.callTool({ name: 'get_site_info', arguments: {} }),
    ]);
    expect(resultText(courses)).toContain('BIO101');
    expect(resultText(site)).toContain('Tessa Lindqvist');
    await end(a);
    expect(stack.worker.sessionCount()).toBe(before + 1);
    expect((await b.client.callTool({ name: 'get_courses', arguments: {} })).isError).toBeFalsy();
    expect((await request(stack, ...ping(a.transport.sessionId ?? 'ended'))).status).toBe(404);
  });

  it('answers a POST without a session id that is not initialize with 400 and a JSON-RPC error naming the problem', async () => {
    const before = stack.worker.sessionCount();
    const r = await request(stack, 'POST', { jsonrpc: '2.0', id: 3, method: 'tools/list' });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32000, message: expect.stringContaining('must be an initialize request, not "tools/list"') },
    });
    const bad = await request(stack, 'POST', '{"jsonrpc": "2.0", "id": 1, "method": "initialize"');
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe(-32700);
    for (const method of ['GET', 'DELETE']) {
      const r2 = await request(stack, method);
      expect(r2.status).toBe(400);
      expect(r2.json.error.message).toContain('needs the Mcp-Session-Id header');
    }
    expect(stack.worker.sessionCount()).toBe(before);
    expect(await metric(stack, 'mcp_refused_messages_total', 'reason="not_initialized"')).toBeGreaterThanOrEqual(1);
  });

  it('answers an unknown session id with 404 and a JSON-RPC error', async () => {
    for (const [method, body] of [
      ['POST', { jsonrpc: '2.0', id: 1, method: 'tools/list' }],
      ['GET', undefined],
      ['DELETE', undefined],
    ] as const) {
      const r = await request(stack, method, body, { 'mcp-session-id': '00000000-0000-4000-8000-000000000000' });
      expect({ method, status: r.status }).toEqual({ method, status: 404 });
      expect(r.json).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32001, message: expect.stringContaining('Session not found') } });
    }
    expect(await metric(stack, 'mcp_refused_messages_total', 'reason="unknown_session"')).toBeGreaterThanOrEqual(3);
  });

  it('ends the session on DELETE; a later request with its id gets 404', async () => {
    const sessionId = await rawSession(stack);
    expect((await request(stack, ...ping(sessionId))).status).toBe(200);
    const before = stack.worker.sessionCount();
    const del = await request(stack, 'DELETE', undefined, { 'mcp-session-id': sessionId });
    expect(del.status).toBe(200);
    expect(stack.worker.sessionCount()).toBe(before - 1);
    expect((await request(stack, ...ping(sessionId))).status).toBe(404);
    expect((await request(stack, 'DELETE', undefined, { 'mcp-session-id': sessionId })).status).toBe(404);
    expect(await metric(stack, 'mcp_sessions_closed_total', 'transport="http",reason="client"')).toBeGreaterThanOrEqual(1);
  });

  it('opens the SSE stream for server messages on GET', async () => {
    const sessionId = await rawSession(stack);
    const aborter = new AbortController();
    const r = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId }, signal: aborter.signal });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    expect(r.headers.get('mcp-session-id')).toBe(sessionId);
    aborter.abort();
    await r.body?.cancel().catch(() => undefined);
    // Without text/event-stream in Accept the SDK refuses the stream.
    const refused = await request(stack, 'GET', undefined, { accept: 'application/json', 'mcp-session-id': sessionId });
    expect(refused.status).toBe(406);
    expect((await request(stack, 'DELETE', undefined, { 'mcp-session-id': sessionId })).status).toBe(200);
  });

  it('leaves no session behind when the SDK refuses the initialize request (wrong Content-Type or Accept)', async () => {
    const before = stack.worker.sessionCount();
    expect((await request(stack, 'POST', INITIALIZE, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await request(stack, 'POST', INITIALIZE, { accept: 'application/json' })).status).toBe(406);
    expect(stack.worker.sessionCount()).toBe(before);
  });

  it('refuses a body over MAX_LINE_BYTES with 413, with or without a session', async () => {
    const big = { ...INITIALIZE, params: { ...INITIALIZE.params, clientInfo: { name: 'x'.repeat(5000), version: '1' } } };
    const r = await request(stack, 'POST', big);
    expect(r.status).toBe(413);
    expect(r.json.error.message).toContain('4096 bytes');
    const sessionId = await rawSession(stack);
    const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'search_courses', arguments: { query: 'y'.repeat(5000) } } };
    expect((await request(stack, 'POST', call, { 'mcp-session-id': sessionId })).status).toBe(413);
    expect((await request(stack, ...ping(sessionId))).status).toBe(200);
    await request(stack, 'DELETE', undefined, { 'mcp-session-id': sessionId });
  });

  it('shrugs off a client that goes away in the middle of an initialize body', async () => {
    const before = stack.worker.sessionCount();
    const socket = net.connect(stack.worker.httpPort!, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 500\r\n\r\n{"jsonrpc":`,
    );
    socket.destroy();
    await waitFor('the worker to answer again', async () => (await request(stack, 'POST', INITIALIZE)).status === 200);
    expect(stack.worker.sessionCount()).toBe(before + 1);
    expect(stack.logs.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('answers other methods on /mcp with 405 and keeps the other paths GET-only', async () => {
    const r = await request(stack, 'PUT', '{}');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, POST, DELETE');
    expect(r.json.error.message).toContain('use POST, GET or DELETE');
    expect((await fetch(`${stack.httpUrl}/health`, { method: 'POST' })).status).toBe(405);
    const nope = await fetch(`${stack.httpUrl}/nope`);
    expect(nope.status).toBe(404);
    expect(((await nope.json()) as { error: string }).error).toContain('/mcp');
  });
});

describe('HTTP MCP session idle timeout', () => {
  it('closes a session with no open request after HTTP_SESSION_IDLE_TIMEOUT_MS, and keeps one that holds its GET stream', async () => {
    const stack = await startStack({ HTTP_SESSION_IDLE_TIMEOUT_MS: '1000' });
    const listening = await connectViaHttp(`${stack.httpUrl}/mcp`);
    try {
      const idle = await rawSession(stack);
      expect(stack.worker.sessionCount()).toBe(2);
      await waitFor('the idle session to expire', () => stack.worker.sessionCount() === 1, { timeoutMs: 5_000 });
      expect((await request(stack, ...ping(idle))).status).toBe(404);
      expect(await metric(stack, 'mcp_sessions_closed_total', 'transport="http",reason="idle"')).toBe(1);
      // The SDK client keeps a GET stream open, so its session was never idle.
      expect((await listening.client.callTool({ name: 'get_courses', arguments: {} })).isError).toBeFalsy();
      expect(stack.logs.lines.map((l) => l.message)).toContain('closing idle HTTP MCP session');
    } finally {
      await end(listening);
      await stack.stop();
    }
  });
});

describe('MAX_SESSIONS shared by TCP and HTTP', () => {
  it('refuses an HTTP initialize with 503 while a TCP session fills the worker, and a TCP connection while an HTTP session does', async () => {
    const stack = await startStack({ MAX_SESSIONS: '1' });
    try {
      const tcp = await LineSocket.connect(stack.port);
      await tcp.initialize();
      const refused = await request(stack, 'POST', INITIALIZE);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.json).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32000, message: expect.stringContaining('limit of 1 sessions') } });
      tcp.close();
      await waitFor('the TCP session to close', () => stack.worker.sessionCount() === 0);
      const sessionId = await rawSession(stack);
      const late = await LineSocket.connect(stack.port);
      await late.waitClosed();
      expect(JSON.stringify(late.received)).toContain('limit of 1 sessions');
      late.close();
      expect(await metric(stack, 'mcp_refused_messages_total', 'reason="too_many_sessions"')).toBe(2);
      expect((await request(stack, 'DELETE', undefined, { 'mcp-session-id': sessionId })).status).toBe(200);
    } finally {
      await stack.stop();
    }
  });
});

describe('ALLOW_WRITES=false over HTTP', () => {
  it('hides provide_assignment_feedback and refuses calls to it', async () => {
    const stack = await startStack({ ALLOW_WRITES: 'false' });
    const c = await connectViaHttp(`${stack.httpUrl}/mcp`);
    try {
      const names = (await c.client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('get_submissions');
      expect(names).not.toContain('provide_assignment_feedback');
      await expect(
        c.client.callTool({ name: 'provide_assignment_feedback', arguments: { assignmentId: SEED.assignmentId, userId: SEED.ungradedStudentId, grade: 1 } }),
      ).rejects.toThrow(/disabled on this server \(ALLOW_WRITES=false\)/);
      expect(stack.sim.stats().byFunction.mod_assign_save_grade ?? 0).toBe(0);
    } finally {
      await end(c);
      await stack.stop();
    }
  });
});

describe('graceful shutdown with HTTP sessions', () => {
  it('refuses new sessions with 503, lets the in-flight HTTP call finish, then closes every session and the port', async () => {
    const stack = await startStack({}, { faults: { mode: 'slow', slowMs: 1500, functions: ['mod_assign_get_assignments'] } });
    const c = await connectViaHttp(`${stack.httpUrl}/mcp`);
    try {
      const call = c.client.callTool({ name: 'get_assignments', arguments: { courseId: SEED.courseId } });
      await waitFor('the call to reach Moodle', () => stack.sim.stats().byFunction.mod_assign_get_assignments > 0);
      const stopping = stack.worker.stop();
      await waitFor('/ready to turn 503', async () => (await fetch(`${stack.httpUrl}/ready`)).status === 503);
      const late = await request(stack, 'POST', INITIALIZE);
      expect(late.status).toBe(503);
      expect(late.json.error.message).toContain('shutting down');
      const answer = await call;
      expect(answer.isError).toBeFalsy();
      expect(resultText(answer)).toMatch(/assignment/i);
      await stopping;
      expect(stack.worker.sessionCount()).toBe(0);
      await expect(fetch(`${stack.httpUrl}/health`)).rejects.toThrow();
    } finally {
      await c.client.close();
      await stack.stop();
    }
  });
});
