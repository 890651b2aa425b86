import { LineSocket } from '../../../test/helpers/lineSocket.js';
import { startStack, type TestStack } from '../../../test/helpers/stack.js';
import { waitFor } from '../../../test/helpers/wait.js';

/**
 * One worker process holds 1,000 concurrent TCP sessions, each of which
 * initializes and calls a tool, and every one is answered. (Functional, not
 * timed: speed and memory figures come from `make bench`.)
 */
describe('1,000 concurrent sessions on one worker', () => {
  const N = 1000;
  let stack: TestStack;
  const sockets: LineSocket[] = [];

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await stack.stop();
  });

  it('answers initialize and a tool call on every session, all open at once', async () => {
    for (let i = 0; i < N; i += 100) {
      sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, N - i) }, () => LineSocket.connect(stack.port)))));
    }
    await waitFor(`${N} sessions on the worker`, () => stack.worker.sessionCount() === N, { timeoutMs: 30_000 });
    const answers = await Promise.all(
      sockets.map(async (s, i) => {
        await s.initialize(`init-${i}`);
        s.send({ jsonrpc: '2.0', id: `call-${i}`, method: 'tools/call', params: { name: 'get_courses', arguments: {} } });
        return s.response(`call-${i}`, 60_000);
      }),
    );
    const ok = answers.filter((a) => a.result && !a.result.isError && Array.isArray(a.result.structuredContent?.courses));
    expect(ok.length).toBe(N);
    expect(stack.worker.sessionCount()).toBe(N);
    expect(sockets.every((s) => !s.closed)).toBe(true);
  });
});
