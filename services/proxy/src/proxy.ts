import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import winston from 'winston';
import { createLogger, type Logger } from '@moodle-mcp/common';
import { createApp } from './app.js';
import type { ProxyConfig } from './config.js';
import { Controller } from './controller.js';
import { EventHub } from './events.js';
import { Forwarder } from './forward.js';
import { HaproxyApi } from './haproxyApi.js';
import { checkWorker } from './healthCheck.js';
import { LockFile } from './lockFile.js';
import { createProxyMetrics } from './metrics.js';
import { Reconciler } from './reconciler.js';

export const VERSION = '0.1.0';

export interface ProxyHandle {
  port: number;
  url: string;
  controller: Controller;
  /** Graceful: /ready 503, loops stopped, connections closed; bounded by `deadlineMs`. Idempotent. */
  stop(deadlineMs?: number): Promise<void>;
}

export interface StartOptions {
  /** A logger to use instead of the configured one (tests capture logs). */
  logger?: Logger;
}

/** Logs: JSON on stdout, and logs/combined.log + logs/error.log, rotated by size. */
export function proxyLogger(config: ProxyConfig): Logger {
  const file = (name: string, level?: string) =>
    new winston.transports.File({ filename: path.join(config.logging.dir, name), level, maxsize: config.logging.maxSizeBytes, maxFiles: config.logging.maxFiles, tailable: true });
  return createLogger({ service: 'proxy', level: config.logging.level, secrets: [config.adminToken], transports: [file('combined.log'), file('error.log', 'error')] });
}

/** Starts the proxy on config.server (port 0: a free port); resolves once it listens and the first check round is done. */
export async function startProxy(config: ProxyConfig, opts: StartOptions = {}): Promise<ProxyHandle> {
  const logger = opts.logger ?? proxyLogger(config);
  const metrics = createProxyMetrics(config, VERSION);
  const lock = new LockFile(config.lockFile);
  const controller = new Controller(config, lock, metrics, logger, checkWorker);
  const forwarder = new Forwarder(controller, logger);
  const startedAt = new Date().toISOString();
  let accepting = true;
  const app = createApp({ config, controller, forwarder, metrics, logger, accepting: () => accepting, startedAt });
  const server = http.createServer(app);
  server.headersTimeout = 15_000;
  const hub = new EventHub(server, controller);
  const reconciler = config.haproxy.socket
    ? new Reconciler(new HaproxyApi(config.haproxy.socket), config.haproxy.backend, controller, metrics, logger, config.haproxy.reconcileIntervalMs)
    : undefined;
  controller.on('changed', () => forwarder.prune());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info('proxy listening', {
    host: config.server.host,
    port,
    configFile: config.configFile,
    targets: config.targets.map((t) => `${t.name}(${t.workers.map((w) => w.name).join(',')})`).join(' '),
    active: controller.status().active.target,
    haproxy: config.haproxy.socket || 'not driven (no haproxy.socket)',
    failoverThreshold: config.failoverThreshold,
    workerFall: config.workerFall,
    healthCheckIntervalMs: config.healthCheckIntervalMs,
    failback: config.failback.policy,
  });
  reconciler?.start();
  await controller.start();
  await reconciler?.reconcile();

  let stopping: Promise<void> | undefined;
  return {
    port,
    url: `http://${config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host}:${port}`,
    controller,
    stop: (deadlineMs = 5_000) =>
      (stopping ??= (async () => {
        accepting = false;
        const deadline = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
        await Promise.race([
          (async () => {
            await controller.stop();
            await reconciler?.stop();
            await hub.close();
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
          })(),
          deadline,
        ]);
        logger.info('proxy stopped');
        if (!opts.logger) await new Promise<void>((resolve) => { logger.on('finish', () => resolve()); logger.end(); setTimeout(resolve, 500).unref(); });
      })()),
  };
}
