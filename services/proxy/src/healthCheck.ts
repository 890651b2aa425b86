import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { encodeProxyV2 } from '@moodle-mcp/common';
import type { WorkerConfig } from './config.js';
import { TcpClientTransport } from './tcpClientTransport.js';

export interface CheckResult {
  ok: boolean;
  /** Whole check, ms. */
  latencyMs: number;
  /** What failed, for operators (never a secret: workers' answers carry none). */
  error?: string;
  /** The worker says it is shutting down: it finishes its open sessions and takes no new ones. */
  draining?: boolean;
  /** Nothing listens (connection refused): the worker's process is gone, not merely slow. */
  refused?: boolean;
}

/** Thrown inside a check when the worker's readiness says it drains. */
class Draining extends Error {}

/** PROXY v2, command LOCAL: the checker speaks for itself (the worker logs the connection's own address). */
const LOCAL_HEADER = encodeProxyV2({ command: 'local' });

/**
 * One deep check of one worker, as a client would use it: an MCP session over
 * its TCP port (initialize, initialized, ping, close) and its HTTP readiness
 * path. Never throws; bounded by `timeoutMs` as a whole.
 */
export async function checkWorker(worker: WorkerConfig, healthPath: string, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const client = new Client({ name: 'moodle-mcp-proxy-health', version: '1' });
  try {
    await Promise.race([
      (async () => {
        // Readiness first: a worker that drains has closed its MCP port on purpose,
        // and must be drained in HAProxy, not put in maintenance (which cuts its sessions).
        const res = await fetch(`http://${worker.host}:${worker.httpPort}${healthPath}`, { signal: abort.signal });
        if (res.status !== 200) {
          const body = (await res.text().catch(() => '')).slice(0, 200);
          if (/"draining":true/.test(body)) throw new Draining('draining (shutting down)');
          throw new Error(`${healthPath} answered HTTP ${res.status}${body ? `: ${body}` : ''}`);
        }
        await res.body?.cancel().catch(() => undefined);
        const transport = new TcpClientTransport(worker.host, worker.mcpPort, timeoutMs, worker.proxyProtocol ? LOCAL_HEADER : undefined);
        await client.connect(transport, { signal: abort.signal, timeout: timeoutMs });
        await client.ping({ signal: abort.signal, timeout: timeoutMs });
      })(),
      new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(new Error(`no answer within ${timeoutMs} ms`)), { once: true })),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      error: describe(err, worker),
      ...(err instanceof Draining ? { draining: true } : {}),
      ...(errorCode(err) === 'ECONNREFUSED' ? { refused: true } : {}),
    };
  } finally {
    clearTimeout(timer);
    await client.close().catch(() => undefined);
  }
}

/** The system error code of a failed connect, also when fetch wraps it (`cause`). */
function errorCode(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  return e?.code ?? e?.cause?.code;
}

function describe(err: unknown, worker: WorkerConfig): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = errorCode(err);
  if (code === 'ECONNREFUSED') return `connection refused (${worker.host}:${e.cause ? worker.httpPort : worker.mcpPort})`;
  if (code === 'ECONNRESET') return 'connection reset';
  return e instanceof Error ? e.message : String(err);
}
