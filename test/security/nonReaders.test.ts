import { LineSocket } from '../helpers/lineSocket.js';
import { metric } from '../helpers/metrics.js';
import { startStack, type TestStack } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A client that pipelines cheap requests with big answers (tools/list: about
 * 60 bytes in, 36 KB out) and never reads them. Without input backpressure
 * the worker kept reading and answering such a client, serializing every
 * answer of a whole TCP chunk (over a thousand requests) in one turn of the
 * event loop: a handful of them froze the worker for seconds, HAProxy's
 * health check then marked it DOWN and `shutdown-sessions` cut every teacher
 * on it (make test-security, full profile: 1,698 sessions cut). Now the
 * worker works on SESSION_MAX_UNANSWERED requests of a session at a time and
 * stops reading it while its answers wait to be read.
 */
const ABUSERS = 10;
const REQUESTS = 6000;
/** Longest a ping of another session on the same worker may wait, ms: well under HAProxy's `timeout check 2s`. */
const MAX_STALL_MS = 1000;

describe('a worker with clients that pipeline big answers and never read them', () => {
  let stack: TestStack;
  const sockets: LineSocket[] = [];

  beforeAll(async () => {
    stack = await startStack({ LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await stack.stop();
  });

  it(`keeps answering another session within ${MAX_STALL_MS} ms while it drops them`, async () => {
    const teacher = await LineSocket.connect(stack.port);
    sockets.push(teacher);
    await teacher.initialize();
    const abusers = await Promise.all(
      Array.from({ length: ABUSERS }, async (_, i) => {
        const s = await LineSocket.connect(stack.port);
        sockets.push(s);
        await s.initialize(`init-${i}`);
        s.socket.pause();
        return s;
      }),
    );
    const dropped = () => metric(stack, 'mcp_refused_messages_total', 'reason="write_backlog"');
    const before = await dropped();

    let worstMs = 0;
    let stop = false;
    const pinging = (async () => {
      for (let n = 0; !stop && n < 10_000; n++) {
        const sent = Date.now();
        teacher.send({ jsonrpc: '2.0', id: `ping-${n}`, method: 'ping' });
        await teacher.response(`ping-${n}`, 30_000);
        worstMs = Math.max(worstMs, Date.now() - sent);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const flood = Array.from({ length: REQUESTS }, (_, k) => JSON.stringify({ jsonrpc: '2.0', id: k, method: 'tools/list' }) + '\n').join('');
    for (const s of abusers) s.write(flood);
    // Until the worker has stopped reading (or dropped) every abuser.
    const paused = () => metric(stack, 'mcp_sessions_input_paused');
    await waitFor('every abuser to be paused or dropped', async () => (await paused()) + (await dropped()) - before >= ABUSERS, { timeoutMs: 15_000 });
    stop = true;
    await pinging;
    process.stdout.write(`${ABUSERS} clients x ${REQUESTS} tools/list, never reading: the other session's ping waited at most ${worstMs} ms\n`);
    expect(worstMs).toBeLessThan(MAX_STALL_MS);
  }, 120_000);
});
