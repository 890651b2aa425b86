import { randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError, type Logger } from '@moodle-mcp/common';
import { publicConfig, type ProxyConfig } from './config.js';
import { ControlError, type Controller } from './controller.js';
import type { Forwarder } from './forward.js';
import type { ProxyMetrics } from './metrics.js';

export interface AppDeps {
  config: ProxyConfig;
  controller: Controller;
  forwarder: Forwarder;
  metrics: ProxyMetrics;
  logger: Logger;
  /** False while shutting down (/ready answers 503). */
  accepting: () => boolean;
  startedAt: string;
}

const switchBody = z.strictObject({ target: z.string().min(1, 'target must be a target name'), force: z.boolean().optional() });

const STATUS: Record<string, number> = { unauthorized: 401, unknown_target: 404, unknown_worker: 404, target_unhealthy: 409, already_active: 409, bad_request: 400 };

/**
 * The proxy's HTTP API. Reads are open; every mutating call needs
 * `Authorization: Bearer <PROXY_ADMIN_TOKEN>`. Errors are JSON
 * `{ error: code, message }`, mapped from AppError codes in one place
 * (`errorHandler`); anything else is a 500 whose details stay in the log.
 */
export function createApp(d: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const json = express.json({ limit: '16kb' });
  app.use(requestId);

  app.get('/health', (_req, res) => {
    const status = d.controller.status();
    const anyHealthy = status.targets.some((t) => t.healthy);
    res.status(anyHealthy ? 200 : 503).json({ status: anyHealthy ? 'ok' : 'no_healthy_target', service: 'proxy', startedAt: d.startedAt, active: status.active, targets: status.targets });
  });
  app.get('/ready', (_req, res) => {
    const ok = d.accepting();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'stopping' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
  });
  app.get('/config', (_req, res) => void res.json(publicConfig(d.config)));
  app.get('/api/proxy/status', (_req, res) => {
    res.json({ ...d.controller.status(), httpSessions: d.forwarder.sessionCount, events: d.controller.recentEvents().slice(-50) });
  });

  const admin = requireAdmin(d.config.adminToken);
  const by = (req: Request) => `api (${req.socket.remoteAddress ?? 'unknown'}, request ${requestIdOf(req)})`;
  app.post('/api/proxy/switch', admin, json, (req, res) => {
    const body = switchBody.safeParse(req.body);
    if (!body.success) throw new AppError('bad_request', `body must be {"target": "<name>", "force"?: true}: ${body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
    d.controller.switchManually(body.data.target, body.data.force ?? false, by(req));
    res.json(d.controller.status());
  });
  app.post('/api/proxy/workers/:worker/drain', admin, (req, res) => {
    d.controller.setDrained(String(req.params.worker), true, by(req));
    res.json({ worker: d.controller.worker(String(req.params.worker)) });
  });
  app.post('/api/proxy/workers/:worker/enable', admin, (req, res) => {
    d.controller.setDrained(String(req.params.worker), false, by(req));
    res.json({ worker: d.controller.worker(String(req.params.worker)) });
  });

  // The data plane: bodies are streamed as they are, never parsed here.
  app.all('/mcp', d.forwarder.mcp);
  app.all('/api/target', d.forwarder.target);
  app.all('/api/target/*rest', d.forwarder.target);

  app.use('/ui', express.static(path.resolve(__dirname, '../public'), { index: 'index.html', maxAge: 0 }));
  app.get('/', (_req, res) => res.redirect('/ui/'));
  app.use((req, res) => void res.status(404).json({ error: 'not_found', message: `no route ${req.method} ${req.path}; see /ui, /health, /config, /api/proxy/status` }));
  app.use(errorHandler(d.logger));
  return app;
}

/** A caller's X-Request-Id when it is a plain token, else a new one; echoed in the answer and in the logs. */
const REQUEST_ID = /^[\w.:-]{1,64}$/;
function requestId(req: Request, res: Response, next: NextFunction): void {
  const given = req.header('x-request-id');
  const id = given && REQUEST_ID.test(given) ? given : randomBytes(6).toString('hex');
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
}

function requestIdOf(req: Request): string {
  return String(req.res?.locals.requestId ?? '-');
}

function requireAdmin(token: string) {
  const expected = Buffer.from(`Bearer ${token}`);
  return (req: Request, _res: Response, next: NextFunction) => {
    const given = Buffer.from(req.header('authorization') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return next(new AppError('unauthorized', req.header('authorization') ? 'wrong admin token' : 'this call changes the stack: send Authorization: Bearer <PROXY_ADMIN_TOKEN>'));
    }
    next();
  };
}

function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.parse.failed' || e?.type === 'entity.too.large') {
      return void res.status(e.status ?? 400).json({ error: 'bad_request', message: e.type === 'entity.too.large' ? 'body too large (16 KB at most)' : 'body is not valid JSON' });
    }
    if (err instanceof AppError) {
      const status = STATUS[err.code] ?? 400;
      if (status === 401) logger.warn('refused an admin call', { requestId: requestIdOf(req), method: req.method, path: req.path, why: err.message });
      return void res.status(status).json({ error: err.code, message: err.message });
    }
    logger.error('request failed', { requestId: requestIdOf(req), method: req.method, path: req.path, error: err instanceof Error ? err.message : String(err) });
    res.status(500).json({ error: 'internal', message: 'internal error; see the proxy log' });
  };
}

export { ControlError };
