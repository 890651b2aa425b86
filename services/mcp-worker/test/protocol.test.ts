import { spawn } from 'node:child_process';
import { SUPPORTED_PROTOCOL_VERSIONS, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { LineSockets } from '../../../test/helpers/lineSocket.js';
import { startStack, type TestStack } from '../../../test/helpers/stack.js';
import { waitFor } from '../../../test/helpers/wait.js';

/** The TCP contract of DESIGN.md, exercised over real sockets against a real worker and moodle-sim. */
describe('worker TCP protocol', () => {
  let stack: TestStack;
  const sockets = new LineSockets();
  const open = () => sockets.open(stack.port);

  beforeAll(async () => {
    stack = await startStack({ MAX_LINE_BYTES: '4096' });
  });
  afterEach(() => sockets.closeAll());
  afterAll(() => stack.stop());

  it.each(SUPPORTED_PROTOCOL_VERSIONS)('negotiates protocol version %s', async (version) => {
    const s = await open();
    s.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    const r = await s.response(1);
    expect(r.result.protocolVersion).toBe(version);
    expect(r.result.serverInfo.name).toBe('moodle-mcp-worker');
    expect(r.result.capabilities.tools).toBeDefined();
  });

  it('answers an unknown protocol version with the latest it supports', async () => {
    const s = await open();
    s.send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '1999-01-01', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    expect((await s.response(1)).result.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
  });

  it('answers a malformed line with -32700 and keeps the session', async () => {
    const s = await open();
    await s.initialize();
    s.write('{"jsonrpc":"2.0","id":7,"method":\n');
    const err = await s.response(null);
    expect(err.error.code).toBe(-32700);
    s.send({ jsonrpc: '2.0', id: 8, method: 'ping' });
    expect((await s.response(8)).result).toEqual({});
  });

  it('answers valid JSON that is not JSON-RPC with -32600 and keeps the session', async () => {
    const s = await open();
    await s.initialize();
    s.send({ hello: 'world' });
    s.send({ jsonrpc: '2.0', id: 'x', method: 42 });
    await s.count(3);
    expect(s.received[1]).toMatchObject({ id: null, error: { code: -32600 } });
    expect(s.received[2]).toMatchObject({ id: 'x', error: { code: -32600, message: expect.stringContaining('"method" member must be a string') } });
    s.send({ jsonrpc: '2.0', id: 9, method: 'ping' });
    expect((await s.response(9)).result).toEqual({});
  });

  it('refuses a request before initialize, but answers ping', async () => {
    const s = await open();
    s.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const r = await s.response(1);
    expect(r.error.code).toBe(-32600);
    expect(r.error.message).toMatch(/not initialized.*initialize/i);
    s.send({ jsonrpc: '2.0', id: 2, method: 'ping' });
    expect((await s.response(2)).result).toEqual({});
    await s.initialize();
    s.send({ jsonrpc: '2.0', id: 3, method: 'tools/list' });
    expect((await s.response(3)).result.tools.length).toBeGreaterThan(0);
  });

  it('answers an unknown method with -32601', async () => {
    const s = await open();
    await s.initialize();
    s.send({ jsonrpc: '2.0', id: 4, method: 'no/such/method' });
    expect((await s.response(4)).error.code).toBe(-32601);
  });

  it('answers an unknown tool with -32602 naming it', async () => {
    const s = await open();
    await s.initialize();
    s.send({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'delete_everything', arguments: {} } });
    const r = await s.response(5);
    expect(r.error.code).toBe(-32602);
    expect(r.error.message).toContain('Unknown tool: delete_everything');
  });

  it.each([
    ['tools/call', { arguments: {} }, 'name'],
    ['tools/call', { name: 42 }, 'name'],
    ['tools/call', { name: 'get_courses', arguments: [1, 2] }, 'arguments'],
    ['tools/list', { cursor: 7 }, 'cursor'],
    ['initialize', { protocolVersion: 20250618, capabilities: {}, clientInfo: { name: 't', version: '1' } }, 'protocolVersion'],
  ])('answers %s whose params are %j with -32602 naming the member, and keeps the session', async (method, params, member) => {
    const s = await open();
    await s.initialize();
    s.send({ jsonrpc: '2.0', id: 13, method, params });
    const r = await s.response(13);
    expect(r.error).toMatchObject({ code: -32602, message: expect.stringContaining(member) });
    // One line a person can read, not a dump of the validator's issues.
    expect(r.error.message).not.toContain('\n');
    s.send({ jsonrpc: '2.0', id: 14, method: 'ping' });
    expect((await s.response(14)).result).toEqual({});
  });

  it('answers arguments that fail the schema with a tool error naming the field', async () => {
    const s = await open();
    await s.initialize();
    s.send({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'get_assignments', arguments: { courseId: 'not-a-number' } } });
    const r = await s.response(6);
    expect(r.result.isError).toBe(true);
    expect(r.result.content[0].text).toMatch(/Invalid arguments for get_assignments: courseId/);
  });

  it('answers invalid UTF-8 with -32700 and keeps the session', async () => {
    const s = await open();
    await s.initialize();
    s.write(Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]));
    expect((await s.response(null)).error.message).toMatch(/not valid UTF-8/);
    s.send({ jsonrpc: '2.0', id: 10, method: 'ping' });
    expect((await s.response(10)).result).toEqual({});
  });

  it('accepts \\r\\n and messages split across and merged within TCP writes', async () => {
    const s = await open();
    await s.initialize();
    const two = '{"jsonrpc":"2.0","id":11,"method":"ping"}\r\n{"jsonrpc":"2.0","id":12,"method":"ping"}\r\n';
    s.write(two.slice(0, 10));
    await new Promise((r) => setImmediate(r));
    s.write(two.slice(10, 50));
    s.write(two.slice(50));
    expect((await s.response(11)).result).toEqual({});
    expect((await s.response(12)).result).toEqual({});
  });

  it('answers a line over MAX_LINE_BYTES with an error, closes that connection, and leaves other sessions alone', async () => {
    const bystander = await open();
    await bystander.initialize();
    const s = await open();
    await s.initialize();
    s.write('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"' + 'x'.repeat(5000) + '"}}\n');
    const r = await s.response(null);
    expect(r.error.message).toMatch(/Line too long: messages are limited to 4096 bytes/);
    await s.waitClosed();
    bystander.send({ jsonrpc: '2.0', id: 2, method: 'ping' });
    expect((await bystander.response(2)).result).toEqual({});
  });

  it('answers what was asked before the client half-closes (echo … | ncat)', async () => {
    const lines =
      [
        { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'nc', version: '1' } } },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_site_info', arguments: {} } },
      ]
        .map((m) => JSON.stringify(m))
        .join('\n') + '\n';
    const out = await new Promise<string>((resolve, reject) => {
      const nc = spawn('ncat', ['127.0.0.1', String(stack.port)], { stdio: ['pipe', 'pipe', 'inherit'] });
      let buf = '';
      nc.stdout.on('data', (d) => (buf += d));
      nc.on('error', reject);
      nc.on('close', () => resolve(buf));
      nc.stdin.end(lines);
    });
    const answers = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(answers.map((a) => a.id)).toEqual([1, 2]);
    expect(answers[1].result.isError).toBeFalsy();
  });

  it('counts sessions and closes them when clients leave', async () => {
    const before = stack.worker.sessionCount();
    const a = await open();
    const b = await open();
    await a.initialize();
    await b.initialize();
    expect(stack.worker.sessionCount()).toBe(before + 2);
    a.close();
    b.close();
    await waitFor('sessions to close', () => stack.worker.sessionCount() === before);
  });
});
