import http from 'node:http';
import type { Request, Response } from 'express';
import type { Logger } from '@moodle-mcp/common';
import type { Controller } from './controller.js';
import type { WorkerView } from './views.js';

const SESSION_HEADER = 'mcp-session-id';
/** Hop-by-hop headers (RFC 9110 7.6.1) are not forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'authorization']);

/**
 * The HTTP data plane: requests are streamed (both ways, SSE included) to a
 * worker's HTTP port. `/mcp` keeps each MCP session on the worker that
 * created it (by `Mcp-Session-Id`); a new session goes to a healthy, not
 * drained worker of the active target; a session whose worker failed gets
 * 404, which tells an MCP client to start a new session. The operator's
 * bearer token (Authorization) is never passed on to a worker.
 */
export class Forwarder {
  /** MCP session id → worker name. */
  private readonly sessions = new Map<string, string>();

  constructor(
    private readonly controller: Controller,
    private readonly logger: Logger,
  ) {}

  get sessionCount(): number {
    return this.sessions.size;
  }

  mcp = (req: Request, res: Response): void => {
    const sid = req.header(SESSION_HEADER);
    let worker: WorkerView | undefined;
    if (sid) {
      const name = this.sessions.get(sid);
      worker = name ? this.controller.worker(name) : undefined;
      if (!worker || worker.status === 'down') {
        if (name) this.sessions.delete(sid);
        return jsonRpcError(res, 404, -32001, name ? `the worker of session ${sid.slice(0, 8)}… is down; start a new session (initialize)` : 'unknown or expired MCP session; start a new session (initialize)');
      }
    } else {
      worker = this.controller.pickWorker();
      if (!worker) return jsonRpcError(res, 503, -32000, 'no healthy worker in the active target; try again shortly');
    }
    const target = worker;
    this.pipe(req, res, target, '/mcp', (upstream) => {
      const issued = upstream.headers[SESSION_HEADER];
      if (typeof issued === 'string' && !sid) this.sessions.set(issued, target.name);
      if (req.method === 'DELETE' && sid && upstream.statusCode && upstream.statusCode < 300) this.sessions.delete(sid);
      if (sid && upstream.statusCode === 404) this.sessions.delete(sid);
    });
  };

  /** `/api/target/<path>` → `<path>` on a healthy worker of the active target. */
  target = (req: Request, res: Response): void => {
    const worker = this.controller.pickWorker();
    if (!worker) return void res.status(503).json({ error: 'no_healthy_worker', message: 'no healthy worker in the active target; try again shortly' });
    const rest = req.originalUrl.replace(/^\/api\/target/, '') || '/';
    this.pipe(req, res, worker, rest);
  };

  /** Forgets the sessions of workers that are down (called after each health round). */
  prune(): void {
    for (const [sid, name] of this.sessions) if (this.controller.worker(name)?.status === 'down') this.sessions.delete(sid);
  }

  private pipe(req: Request, res: Response, worker: WorkerView, path: string, onHead?: (upstream: http.IncomingMessage) => void): void {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && v !== undefined) headers[k] = v;
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    const upstreamReq = http.request({ host: worker.host, port: worker.httpPort, method: req.method, path, headers });
    upstreamReq.on('response', (upstream) => {
      onHead?.(upstream);
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(upstream.headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
      res.writeHead(upstream.statusCode ?? 502, out);
      res.flushHeaders();
      upstream.pipe(res);
    });
    upstreamReq.on('error', (err: NodeJS.ErrnoException) => {
      this.logger.warn('forwarding to a worker failed', { worker: worker.name, path, error: err.code ?? err.message });
      if (!res.headersSent) jsonRpcError(res, 502, -32000, `worker ${worker.name} did not answer (${err.code ?? 'error'}); try again`);
      else res.destroy();
    });
    // The client went away: stop the upstream request (an SSE stream, a long call).
    res.on('close', () => upstreamReq.destroy());
    req.pipe(upstreamReq);
  }
}

function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', id: null, error: { code, message } });
}
