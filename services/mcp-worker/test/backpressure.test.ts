import { LineSockets } from '../../../test/helpers/lineSocket.js';
import { metric } from '../../../test/helpers/metrics.js';
import { startStack, type TestStack } from '../../../test/helpers/stack.js';
import { waitFor } from '../../../test/helpers/wait.js';

const call = (id: number | string, name: string, args: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

/** SESSION_MAX_UNANSWERED: a session's input is read only as fast as its answers go out. */
describe('worker input backpressure', () => {
  let stack: TestStack;
  const sockets = new LineSockets();
  const open = async () => {
    const s = await sockets.open(stack.port);
    await s.initialize();
    return s;
  };

  beforeAll(async () => {
    // 256 KB of queued answers would drop a client that does not read, were the worker to keep reading it.
    stack = await startStack({ SESSION_MAX_UNANSWERED: '3', MAX_PENDING_WRITE_BYTES: String(256 * 1024) }, { latencyMs: 300 });
  });
  afterEach(() => sockets.closeAll());
  afterAll(() => stack.stop());

  it('works on at most SESSION_MAX_UNANSWERED requests of a session: a ping pipelined behind them waits for one to be answered', async () => {
    const s = await open();
    for (let i = 0; i < 3; i++) s.send(call(`c${i}`, 'get_courses'));
    s.send({ jsonrpc: '2.0', id: 'ping', method: 'ping' });
    await s.count(4 + 1, 15_000); // initialize + 3 calls + ping
    const order = s.received.slice(1).map((m) => (m as { id: string }).id);
    // Without the limit the ping (answered at once) would come before the calls (300 ms at Moodle).
    expect(order.indexOf('ping')).toBeGreaterThan(0);
    expect(order.sort()).toEqual(['c0', 'c1', 'c2', 'ping']);
  }, 30_000);

  it('stops reading a client that pipelines thousands of big answers and reads none, without dropping it; all answers come once it reads', async () => {
    const s = await open();
    const dropsBefore = await metric(stack, 'mcp_refused_messages_total', 'reason="write_backlog"');
    s.socket.pause();
    const n = 2000;
    s.write(Array.from({ length: n }, (_, k) => JSON.stringify({ jsonrpc: '2.0', id: k, method: 'tools/list' }) + '\n').join(''));
    // Another session on the same worker is answered at once meanwhile.
    const other = await open();
    other.send({ jsonrpc: '2.0', id: 'p', method: 'ping' });
    expect((await other.response('p', 2_000)).result).toEqual({});
    s.socket.resume();
    await s.count(1 + n, 60_000);
    const ids = new Set(s.received.slice(1).map((m) => (m as { id: number }).id));
    expect(ids.size).toBe(n);
    expect(s.received.slice(1).every((m) => Array.isArray((m as { result?: { tools?: unknown } }).result?.tools))).toBe(true);
    expect(await metric(stack, 'mcp_refused_messages_total', 'reason="write_backlog"')).toBe(dropsBefore);
  }, 90_000);

  it('still closes the session after answering everything when the client half-closes with requests queued', async () => {
    const s = await open();
    s.write(Array.from({ length: 50 }, (_, k) => JSON.stringify({ jsonrpc: '2.0', id: k, method: 'ping' }) + '\n').join(''));
    s.socket.end();
    await s.waitClosed(15_000);
    expect(s.received.length).toBe(1 + 50);
  }, 30_000);

  it('counts no request as in flight once every session is answered', async () => {
    await waitFor('no request in flight', async () => (await metric(stack, 'mcp_requests_in_flight', 'worker="test-worker"')) === 0);
  });
});
