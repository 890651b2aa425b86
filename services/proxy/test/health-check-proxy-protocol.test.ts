import { checkWorker } from '../src/healthCheck.js';
import { startStack, type TestStack } from '../../../test/helpers/stack.js';

/**
 * Deep checks of a worker whose MCP port requires a PROXY protocol v2 header
 * (PROXY_PROTOCOL=required, as the native runner starts them): the check
 * opens with the LOCAL command when the worker's entry says proxyProtocol.
 */
describe('deep health check of a worker that requires a PROXY header', () => {
  let worker: TestStack;
  beforeAll(async () => {
    worker = await startStack({ PROXY_PROTOCOL: 'required', WORKER_ID: 'pp' });
  });
  afterAll(() => worker.stop());

  const entry = (proxyProtocol: boolean) => ({ name: 'pp', host: '127.0.0.1', mcpPort: worker.port, httpPort: worker.worker.httpPort!, proxyProtocol });

  it('passes when it sends the LOCAL header, and the worker logs the check as coming from the proxy itself', async () => {
    expect(await checkWorker(entry(true), '/ready', 3_000)).toMatchObject({ ok: true });
    expect(worker.logs.lines.some((l) => l.message === 'connection refused: PROXY protocol header')).toBe(false);
  });

  it('fails, saying why, without the header', async () => {
    const r = await checkWorker(entry(false), '/ready', 3_000);
    expect(r.ok).toBe(false);
    expect(worker.logs.lines.find((l) => l.message === 'connection refused: PROXY protocol header')).toMatchObject({ reason: expect.stringContaining('header is required') });
  });
});
