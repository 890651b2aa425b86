import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * A registry per service instance (never the global one), so that several
 * instances can run in one test process. Carries the process metrics and a
 * `<prefix>build_info` gauge with the version as a label, set to 1.
 */
export function createRegistry(prefix: string, version: string, labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  const info = new Gauge({
    name: `${prefix}build_info`,
    help: 'Build metadata of this service; the value is always 1.',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  });
  info.set({ version, node_version: process.version }, 1);
  return registry;
}
