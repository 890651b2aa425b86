import { encodeProxyV2, RpcCodes } from '@moodle-mcp/common';
import { LineSocket, LineSockets } from '../../../test/helpers/lineSocket.js';
import { metric } from '../../../test/helpers/metrics.js';
import { startStack, type TestStack } from '../../../test/helpers/stack.js';
import { waitFor } from '../../../test/helpers/wait.js';

/**
 * The worker behind HAProxy: the PROXY protocol v2 header on its TCP port
 * (client address and TLS identity, logged with every call) and the
 * per-session call rate limit. Real worker, real moodle-sim, raw sockets
 * writing the header the way HAProxy does.
 */
const INITIALIZE = (id: string) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }) + '\n';
const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n';
const CALL = (id: string | number, name = 'get_site_info') => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } }) + '\n';

const ALICE_OVER_TLS = encodeProxyV2({
  command: 'proxy',
  source: { address: '203.0.113.7', port: 50123 },
  destination: { address: '10.0.0.5', port: 3443 },
  tls: { version: 'TLSv1.3', cn: 'alice', clientCert: true, verified: true },
});

const toolCallLines = (stack: TestStack) => stack.logs.lines.filter((l) => l.message === 'tool call');

describe('worker: PROXY protocol v2 on the MCP port', () => {
  describe('PROXY_PROTOCOL=required', () => {
    let stack: TestStack;
    let stopped = false;
    const sockets = new LineSockets();
    const open = () => sockets.open(stack.port);
    beforeAll(async () => {
      stack = await startStack({ PROXY_PROTOCOL: 'required' });
    });
    afterAll(async () => {
      sockets.closeAll();
      if (!stopped) await stack.stop();
    });

    it("logs every call with the client's real address and the CN of its verified certificate", async () => {
      const s = await open();
      s.write(Buffer.concat([ALICE_OVER_TLS, Buffer.from(INITIALIZE('i') + INITIALIZED + CALL(1))]));
      expect((await s.response(1)).result.isError).toBeUndefined();
      const line = await waitFor('the tool call log line', () => toolCallLines(stack).find((l) => l.clientCn === 'alice'));
      expect(line).toMatchObject({ clientAddress: '203.0.113.7', clientPort: 50123, tls: 'TLSv1.3', clientCn: 'alice', tool: 'get_site_info', outcome: 'ok' });
    });

    it('reads a header that arrives split over many writes, byte by byte', async () => {
      const s = await open();
      const header = encodeProxyV2({ command: 'proxy', source: { address: '198.51.100.9', port: 4242 }, destination: { address: '10.0.0.5', port: 3000 } });
      for (const byte of header) {
        s.write(Buffer.from([byte]));
        await new Promise((r) => setImmediate(r));
      }
      s.write(INITIALIZE('i') + INITIALIZED + CALL('split'));
      expect((await s.response('split')).result).toBeDefined();
      const line = await waitFor('the tool call log line', () => toolCallLines(stack).find((l) => l.clientAddress === '198.51.100.9'));
      expect(line).toMatchObject({ clientPort: 4242 });
      expect(line.clientCn).toBeUndefined();
      expect(line.tls).toBeUndefined();
    });

    it("serves the LOCAL command (the proxy service's health check) as the connection's own peer", async () => {
      const s = await open();
      s.write(Buffer.concat([encodeProxyV2({ command: 'local' }), Buffer.from(INITIALIZE('i') + INITIALIZED + CALL('local'))]));
      expect((await s.response('local')).result).toBeDefined();
      expect(toolCallLines(stack).at(-1)).toMatchObject({ clientAddress: '127.0.0.1' });
    });

    it('refuses a connection without a header, or with PROXY v1, with one JSON-RPC error line, and counts it', async () => {
      const before = await metric(stack, 'mcp_refused_messages_total', 'reason="proxy_header"');
      const plain = await open();
      plain.write(INITIALIZE('i'));
      expect(await plain.response(null)).toMatchObject({ error: { code: -32600, message: expect.stringContaining('a PROXY protocol v2 header is required') } });
      await plain.waitClosed();
      const v1 = await open();
      v1.write('PROXY TCP4 192.0.2.1 192.0.2.2 1000 3000\r\n' + INITIALIZE('i'));
      expect(await v1.response(null)).toMatchObject({ error: { message: expect.stringContaining('PROXY protocol v1 is not accepted') } });
      await v1.waitClosed();
      expect(await metric(stack, 'mcp_refused_messages_total', 'reason="proxy_header"')).toBe(before + 2);
      expect(stack.logs.lines.filter((l) => l.message === 'connection refused: PROXY protocol header')).toHaveLength(2);
    });

    it('stops promptly while a connection is still in the middle of its header', async () => {
      const s = await open();
      s.write(ALICE_OVER_TLS.subarray(0, 10));
      await waitFor('the partial header to be sent', () => s.socket.bytesWritten >= 10 && s.socket.writableLength === 0);
      const started = Date.now();
      stopped = true;
      await stack.stop();
      expect(Date.now() - started).toBeLessThan(3_000);
      await s.waitClosed();
    });
  });

  describe('PROXY_PROTOCOL=optional', () => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await startStack({ PROXY_PROTOCOL: 'optional' });
    });
    afterAll(() => stack.stop());

    it('serves a direct client without a header (its own address logged) and one behind HAProxy with it', async () => {
      const direct = await LineSocket.connect(stack.port);
      direct.write(INITIALIZE('i') + INITIALIZED + CALL('direct'));
      expect((await direct.response('direct')).result).toBeDefined();
      expect(toolCallLines(stack).at(-1)).toMatchObject({ clientAddress: '127.0.0.1' });
      const proxied = await LineSocket.connect(stack.port);
      proxied.write(Buffer.concat([ALICE_OVER_TLS, Buffer.from(INITIALIZE('i') + INITIALIZED + CALL('proxied'))]));
      expect((await proxied.response('proxied')).result).toBeDefined();
      expect(toolCallLines(stack).at(-1)).toMatchObject({ clientAddress: '203.0.113.7', clientCn: 'alice' });
      direct.close();
      proxied.close();
    });
  });
});

describe('worker: calls per second per session', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ SESSION_CALL_RATE: '2', SESSION_CALL_BURST: '3' });
  });
  afterAll(() => stack.stop());

  it('answers calls over the limit at once with -32029 and when to retry, counts them, and lets the session go on', async () => {
    const s = await LineSocket.connect(stack.port);
    const other = await LineSocket.connect(stack.port);
    await s.initialize();
    await other.initialize();
    s.write([1, 2, 3, 4, 5].map((id) => CALL(id)).join(''));
    const answers = await Promise.all([1, 2, 3, 4, 5].map((id) => s.response(id)));
    expect(answers.slice(0, 3).every((a) => a.result && !a.result.isError)).toBe(true);
    for (const a of answers.slice(3)) {
      expect(a.error).toMatchObject({ code: RpcCodes.RATE_LIMITED, data: { callsPerSecond: 2 } });
      expect(a.error.message).toMatch(/^rate limited: 2 calls\/s per session \(bursts of 3\); retry in \d+ ms$/);
    }
    expect(await metric(stack, 'mcp_refused_messages_total', 'reason="rate_limited"')).toBe(2);
    // Another session has its own bucket.
    other.write(CALL('other'));
    expect((await other.response('other')).result).toBeDefined();
    // After the wait it named, the session's next call goes through.
    await new Promise((r) => setTimeout(r, answers[4]!.error.data.retryAfterMs));
    s.write(CALL(6));
    expect((await s.response(6)).result).toBeDefined();
    s.close();
    other.close();
  });
});
