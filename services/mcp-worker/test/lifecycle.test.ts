import path from 'node:path';
import { spawn } from 'node:child_process';
import { ConfigError } from '@moodle-mcp/common';
import { SEED } from '@moodle-mcp/moodle-sim';
import { loadWorkerConfig } from '../src/config.js';
import { LineSocket } from '../../../test/helpers/lineSocket.js';
import { metric } from '../../../test/helpers/metrics.js';
import { startStack, type TestStack } from '../../../test/helpers/stack.js';
import { waitFor } from '../../../test/helpers/wait.js';

const getJson = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as Record<string, any> };
};
const slowCall = (s: LineSocket, id: number) =>
  s.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_assignments', arguments: { courseId: SEED.courseId } } });

describe('worker health, readiness and metrics endpoints', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ MOODLE_DEMO: 'true' });
  });
  afterAll(() => stack.stop());
  afterEach(() => stack.sim.setFaults({}));

  it('answers /health with liveness facts and the demo label', async () => {
    const { status, body } = await getJson(`${stack.httpUrl}/health`);
    expect(status).toBe(200);
    expect(body).toEqual(expect.objectContaining({ status: 'ok', service: 'mcp-worker', workerId: 'test-worker', demo: true, sessions: 0 }));
  });

  it('answers /ready with the Moodle site while Moodle answers, and 503 once it does not', async () => {
    const ready = await getJson(`${stack.httpUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.moodle).toEqual(expect.objectContaining({ moodleReachable: true, siteName: expect.any(String), missingFunctions: [] }));
    stack.sim.setFaults({ mode: 'down' });
    await stack.worker.readiness.probe();
    const down = await getJson(`${stack.httpUrl}/ready`);
    expect(down.status).toBe(503);
    expect(down.body.moodle.lastError).toMatch(/unreachable/);
    expect((await (await fetch(`${stack.httpUrl}/metrics`)).text()).split('\n')).toContain('mcp_moodle_up{worker="test-worker"} 0');
    stack.sim.setFaults({});
    await stack.worker.readiness.probe();
    expect((await getJson(`${stack.httpUrl}/ready`)).status).toBe(200);
    expect(stack.logs.lines.map((l) => l.message)).toEqual(
      expect.arrayContaining(['Moodle became unreachable; /ready answers 503 until it is back', 'Moodle is reachable again']),
    );
  });

  it('serves Prometheus metrics with tool calls by tool and outcome', async () => {
    const s = await LineSocket.connect(stack.port);
    await s.initialize();
    s.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_courses', arguments: {} } });
    await s.response(1);
    s.close();
    expect(await metric(stack, 'mcp_tool_calls_total', 'tool="get_courses",outcome="ok"')).toBeGreaterThanOrEqual(1);
    expect(await metric(stack, 'mcp_tool_calls_total', 'tool="get_grades",outcome="moodle_error"')).toBe(0);
    expect(await metric(stack, 'mcp_moodle_requests_total', 'function="core_enrol_get_users_courses",outcome="ok"')).toBeGreaterThanOrEqual(1);
    const text = await (await fetch(`${stack.httpUrl}/metrics`)).text();
    expect(await metric(stack, 'mcp_tool_call_duration_seconds_bucket', 'le="0.0005",tool="get_courses"')).toBeGreaterThanOrEqual(0);
    expect(await metric(stack, 'mcp_tool_call_duration_seconds_count', 'tool="get_courses"')).toBeGreaterThanOrEqual(1);
    expect(text).toContain('mcp_build_info{version="0.1.0"');
    expect(text).not.toContain(stack.config.MOODLE_TOKEN);
  });

  it('answers unknown paths and methods with JSON errors', async () => {
    expect((await getJson(`${stack.httpUrl}/nope`)).status).toBe(404);
    const r = await fetch(`${stack.httpUrl}/health`, { method: 'POST' });
    expect(r.status).toBe(405);
  });

  it('turns a Moodle error into a tool error the assistant can act on', async () => {
    const s = await LineSocket.connect(stack.port);
    await s.initialize();
    s.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_course_contents', arguments: { courseId: SEED.missingId } } });
    const r = await s.response(2);
    expect(r.result.isError).toBe(true);
    expect(r.result.content[0].text).toMatch(/Moodle refused core_course_get_contents: .*errorcode invalidrecord.*Check the id/);
    s.close();
  });

  it('aborts the upstream Moodle request when the client cancels, and sends no answer for it', async () => {
    stack.sim.setFaults({ mode: 'timeout', functions: ['mod_assign_get_assignments'] });
    const before = (await metric(stack, 'mcp_moodle_requests_total', 'function="mod_assign_get_assignments",outcome="aborted"')) || 0;
    const s = await LineSocket.connect(stack.port);
    await s.initialize();
    slowCall(s, 3);
    await waitFor('the call to reach Moodle', () => stack.sim.stats().byFunction.mod_assign_get_assignments > 0);
    s.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3, reason: 'user gave up' } });
    await waitFor(
      'the upstream request to be aborted',
      async () => (await metric(stack, 'mcp_moodle_requests_total', 'function="mod_assign_get_assignments",outcome="aborted"')) === before + 1,
    );
    s.send({ jsonrpc: '2.0', id: 4, method: 'ping' });
    await s.response(4);
    expect(s.received.find((m) => (m as { id?: unknown }).id === 3)).toBeUndefined();
    s.close();
  });

  it('aborts the upstream Moodle request when the client disconnects mid-call', async () => {
    stack.sim.setFaults({ mode: 'timeout', functions: ['mod_assign_get_assignments'] });
    stack.sim.resetStats();
    const before = (await metric(stack, 'mcp_moodle_requests_total', 'function="mod_assign_get_assignments",outcome="aborted"')) || 0;
    const s = await LineSocket.connect(stack.port);
    await s.initialize();
    slowCall(s, 5);
    await waitFor('the call to reach Moodle', () => stack.sim.stats().byFunction.mod_assign_get_assignments > 0);
    s.close();
    await waitFor(
      'the upstream request to be aborted',
      async () => (await metric(stack, 'mcp_moodle_requests_total', 'function="mod_assign_get_assignments",outcome="aborted"')) === before + 1,
    );
    await waitFor('the session to close', () => stack.worker.sessionCount() === 0);
  });
});

describe('ALLOW_WRITES=false', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ ALLOW_WRITES: 'false' });
  });
  afterAll(() => stack.stop());

  it('removes the write tool from tools/list and refuses calls to it', async () => {
    const s = await LineSocket.connect(stack.port);
    await s.initialize();
    s.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const names = (await s.response(1)).result.tools.map((t: { name: string }) => t.name);
    expect(names).toContain('get_submissions');
    expect(names).not.toContain('provide_assignment_feedback');
    s.send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'provide_assignment_feedback', arguments: { assignmentId: 1, userId: 10, grade: 1 } },
    });
    const r = await s.response(2);
    expect(r.error.code).toBe(-32602);
    expect(r.error.message).toContain('disabled on this server (ALLOW_WRITES=false)');
    expect(stack.sim.stats().byFunction.mod_assign_save_grade ?? 0).toBe(0);
    s.close();
  });
});

describe('graceful shutdown', () => {
  it('fails readiness, refuses new sessions, lets the in-flight call finish, then closes', async () => {
    const stack = await startStack({}, { faults: { mode: 'slow', slowMs: 700, functions: ['mod_assign_get_assignments'] } });
    try {
      const s = await LineSocket.connect(stack.port);
      await s.initialize();
      slowCall(s, 1);
      await waitFor('the call to reach Moodle', () => stack.sim.stats().byFunction.mod_assign_get_assignments > 0);
      const stopping = stack.worker.stop();
      await waitFor('/ready to turn 503', async () => (await fetch(`${stack.httpUrl}/ready`)).status === 503);
      const late = await LineSocket.connect(stack.port).catch(() => undefined);
      if (late) {
        // Accepted by the kernel before close(): answered with a refusal, then closed.
        await late.waitClosed();
        late.close();
      }
      const answer = await s.response(1);
      expect(answer.result.isError).toBeFalsy();
      await stopping;
      await s.waitClosed();
    } finally {
      await stack.stop();
    }
  });
});

describe('configuration', () => {
  it('names every bad variable and never echoes a value', () => {
    let err: unknown;
    try {
      loadWorkerConfig({ MOODLE_URL: 'ftp://x', MOODLE_TOKEN: 'short', MCP_PORT: '70000', ALLOW_WRITES: 'maybe', MOODLE_DEFAULT_COURSE_ID: 'abc' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const name of ['MOODLE_URL', 'MOODLE_TOKEN', 'MCP_PORT', 'ALLOW_WRITES', 'MOODLE_DEFAULT_COURSE_ID']) expect(msg).toContain(name);
    expect(msg).not.toContain('short');
  });

  it('requires MOODLE_URL, and MOODLE_TOKEN in shared mode; accepts the REST endpoint pasted as the URL', () => {
    expect(() => loadWorkerConfig({})).toThrow(/MOODLE_URL/);
    expect(() => loadWorkerConfig({ MOODLE_URL: 'https://m.example', IDENTITY_MODE: 'shared' })).toThrow(/MOODLE_TOKEN: required with IDENTITY_MODE=shared/);
    const c = loadWorkerConfig({ MOODLE_URL: 'https://m.example/moodle/webservice/rest/server.php', MOODLE_TOKEN: 'abcdefgh12345678', IDENTITY_MODE: 'shared' });
    expect(c.MOODLE_URL).toBe('https://m.example/moodle');
    expect(c.MCP_PORT).toBe(3000);
    expect(c.ALLOW_WRITES).toBe(true);
  });

  it('is per-teacher by default with a real Moodle: it needs the registry, names what is missing, and keeps the demo teacher to the demo', () => {
    const base = { MOODLE_URL: 'https://m.example', MOODLE_TOKEN: 'abcdefgh12345678' };
    expect(() => loadWorkerConfig(base)).toThrow(/REGISTRY_URL: required in per-teacher mode.*\n.*REGISTRY_KEY: required/s);
    const key = 'ab'.repeat(32);
    const c = loadWorkerConfig({ ...base, MOODLE_TOKEN: '', REGISTRY_URL: 'redis://127.0.0.1:6380', REGISTRY_KEY: key });
    expect(c.IDENTITY_MODE).toBe('per-teacher');
    expect(() => loadWorkerConfig({ ...base, REGISTRY_URL: 'redis://r:1', REGISTRY_KEY: 'short' })).toThrow(/REGISTRY_KEY: must be 32 random bytes/);
    expect(() => loadWorkerConfig({ ...base, REGISTRY_URL: 'redis://r:1', REGISTRY_KEY: key, UNIDENTIFIED_TEACHER: 'tessa' })).toThrow(/UNIDENTIFIED_TEACHER: only for the demo Moodle/);
    // Over stdio the teacher's own token is the identity: no registry.
    expect(loadWorkerConfig(base, 'stdio').IDENTITY_MODE).toBe('per-teacher');
    expect(() => loadWorkerConfig({ MOODLE_URL: 'https://m.example' }, 'stdio')).toThrow(/MOODLE_TOKEN: required over stdio/);
    // The demo Moodle without a registry: shared, as before.
    expect(loadWorkerConfig({ ...base, MOODLE_DEMO: 'true' }).IDENTITY_MODE).toBe('shared');
  });

  it('stops the worker at start with exit code 2 and a message naming the variable', async () => {
    const main = path.resolve(__dirname, '../dist/main.js');
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [main], {
        env: { PATH: process.env.PATH, MOODLE_URL: 'http://127.0.0.1:1', MOODLE_TOKEN: 'secret-token-value', HTTP_PORT: 'eighty', IDENTITY_MODE: 'shared' },
      });
      let err = '';
      p.stderr.on('data', (d) => (err += d));
      p.on('close', (c) => resolve({ code: c, stderr: err }));
    });
    expect(code).toBe(2);
    expect(stderr).toContain('mcp-worker: invalid configuration');
    expect(stderr).toContain('HTTP_PORT: must be a whole number');
    expect(stderr).not.toContain('secret-token-value');
  });
});
