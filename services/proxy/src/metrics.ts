import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createRegistry } from '@moodle-mcp/common';
import type { ProxyFileConfig } from './config.js';

export type SwitchKind = 'failover' | 'failback' | 'manual';

/**
 * The proxy's metrics (prefix `proxy_`). Labels come from the configuration
 * (target and worker names: a bounded set) and fixed enums; every label set
 * is created at zero at start so rates and alerts see the series at once.
 */
export function createProxyMetrics(config: Pick<ProxyFileConfig, 'targets'>, version: string) {
  const registry: Registry = createRegistry('proxy_', version);
  const activeTarget = new Gauge({ name: 'proxy_active_target', help: '1 for the target (worker pool) HAProxy sends new sessions to, 0 for the others.', labelNames: ['target'], registers: [registry] });
  const targetHealthy = new Gauge({ name: 'proxy_target_healthy', help: '1 while the target has at least its minimum of workers passing deep checks.', labelNames: ['target'], registers: [registry] });
  const workerUp = new Gauge({ name: 'proxy_worker_up', help: "1 while the worker's last deep check (MCP initialize + ping, /ready) passed.", labelNames: ['target', 'worker'], registers: [registry] });
  const switches = new Counter({ name: 'proxy_target_switches_total', help: 'Changes of the active target, by reason (failover, failback, manual).', labelNames: ['reason'], registers: [registry] });
  const checks = new Counter({ name: 'proxy_health_checks_total', help: 'Deep health checks of workers, by target and result.', labelNames: ['target', 'result'], registers: [registry] });
  const checkSeconds = new Histogram({
    name: 'proxy_health_check_duration_seconds',
    help: 'Duration of one deep health check of one worker.',
    labelNames: ['target'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const haproxyCommands = new Counter({ name: 'proxy_haproxy_commands_total', help: 'Server state changes sent to HAProxy through its runtime API, by result.', labelNames: ['result'], registers: [registry] });
  const haproxyUp = new Gauge({ name: 'proxy_haproxy_api_up', help: "1 while HAProxy's runtime API answers the reconcile loop.", registers: [registry] });

  for (const reason of ['failover', 'failback', 'manual']) switches.inc({ reason }, 0);
  for (const result of ['ok', 'error']) haproxyCommands.inc({ result }, 0);
  for (const t of config.targets) {
    activeTarget.set({ target: t.name }, 0);
    targetHealthy.set({ target: t.name }, 0);
    for (const result of ['pass', 'fail']) checks.inc({ target: t.name, result }, 0);
    checkSeconds.zero({ target: t.name });
    for (const w of t.workers) workerUp.set({ target: t.name, worker: w.name }, 0);
  }
  return { registry, activeTarget, targetHealthy, workerUp, switches, checks, checkSeconds, haproxyCommands, haproxyUp };
}

export type ProxyMetrics = ReturnType<typeof createProxyMetrics>;
