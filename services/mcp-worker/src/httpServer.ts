import http from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '@moodle-mcp/common';

export interface HealthSources {
  /** Liveness facts: cheap, never touch Moodle. */
  health(): Record<string, unknown>;
  /** Readiness: `ready` false → 503 (Moodle unreachable, or shutting down). */
  readiness(): { ready: boolean } & Record<string, unknown>;
  registry: Registry;
  /** MCP over Streamable HTTP (POST, GET and DELETE /mcp); absent: /mcp is 404 like any unknown path. */
  mcp?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
}

/**
 * The worker's HTTP side port: GET /health, /ready and /metrics, and /mcp
 * when `sources.mcp` serves it. Anything else is 404 or 405 with a JSON body;
 * no request can throw out of the handler.
 */
export function createHttpServer(sources: HealthSources, logger: Logger): http.Server {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error('HTTP endpoint failed', { path: req.url, error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/mcp' && sources.mcp) return sources.mcp(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendJson(res, 405, { error: `method ${req.method} not allowed; use GET` }, { Allow: 'GET, HEAD' });
    switch (path) {
      case '/health':
        return sendJson(res, 200, { status: 'ok', ...sources.health() });
      case '/ready': {
        const r = sources.readiness();
        // `?drain=404` (HAProxy's check, with `http-check disable-on-404`): a
        // draining worker answers 404, which HAProxy takes as "no new
        // sessions, keep the open ones" instead of DOWN, which would cut them.
        const draining = r.draining === true && new URL(req.url ?? '/', 'http://worker.invalid').searchParams.get('drain') === '404';
        return sendJson(res, r.ready ? 200 : draining ? 404 : 503, { status: r.ready ? 'ready' : draining ? 'draining' : 'not_ready', ...r });
      }
      case '/metrics': {
        const body = await sources.registry.metrics();
        res.writeHead(200, { 'Content-Type': sources.registry.contentType });
        res.end(body);
        return;
      }
      default:
        return sendJson(res, 404, { error: `no such path ${path}; try /health, /ready${sources.mcp ? ', /metrics or /mcp' : ' or /metrics'}` });
    }
  }
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  return server;
}

/** A JSON answer that no cache keeps. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}
