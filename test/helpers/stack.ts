import { startSim, type SimHandle, type SimOptions } from '@moodle-mcp/moodle-sim';
import { loadWorkerConfig, type WorkerConfig } from '../../services/mcp-worker/src/config.js';
import { allTools } from '../../services/mcp-worker/src/tools/index.js';
import { startWorker, type WorkerHandle } from '../../services/mcp-worker/src/worker.js';
import { captureLogger } from './captureLogger.js';

export interface TestStack {
  sim: SimHandle;
  worker: WorkerHandle;
  config: WorkerConfig;
  port: number;
  httpUrl: string;
  logs: ReturnType<typeof captureLogger>;
  stop(): Promise<void>;
}

/**
 * A moodle-sim and an in-process worker on free ports (port 0), both real
 * servers on real sockets. `env` overrides worker variables; `{ shared: sim }`
 * makes several workers use one simulator (which the caller then stops).
 */
export async function startStack(env: Record<string, string> = {}, simOptions: SimOptions | { shared: SimHandle } = {}): Promise<TestStack> {
  const ownSim = !('shared' in simOptions);
  const sim = 'shared' in simOptions ? simOptions.shared : await startSim({ port: 0, ...simOptions });
  const config = loadWorkerConfig({
    MOODLE_URL: sim.url,
    MOODLE_TOKEN: sim.token,
    MCP_HOST: '127.0.0.1',
    MCP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    WORKER_ID: 'test-worker',
    MOODLE_RETRIES: '0',
    DRAIN_TIMEOUT_MS: '5000',
    // These stacks test everything but identity (test/e2e/identity.test.ts does that): one shared token.
    IDENTITY_MODE: 'shared',
    ...env,
  });
  const logs = captureLogger('mcp-worker', config.MOODLE_TOKEN ? [config.MOODLE_TOKEN] : []);
  const worker = await startWorker(config, { tools: allTools, mode: 'tcp', logger: logs.logger });
  return {
    sim,
    worker,
    config,
    logs,
    port: worker.tcpPort!,
    httpUrl: `http://127.0.0.1:${worker.httpPort}`,
    async stop() {
      await worker.stop();
      if (ownSim) await sim.stop();
    },
  };
}
