import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, run } from '../helpers/nativeStack.js';
import { metricName, vectorSelectors } from '../helpers/promql.js';
import { parseYaml } from '../helpers/yaml.js';

/**
 * prometheus/: the configuration both ways of running use, the alert rules
 * and their unit tests, checked with Debian's promtool (package `prometheus`,
 * installed by scripts/ensure-deps.sh).
 */
const PROM = path.join(ROOT, 'prometheus');

interface RuleFile {
  groups: { name: string; rules: { alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[];
}
interface RuleTests {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

const promtool = async (...args: string[]) => {
  const r = await run('promtool', args, process.env, 60_000);
  return { code: r.code, out: r.stdout + r.stderr };
};
const alerts = () => parseYaml<RuleFile>(readFileSync(path.join(PROM, 'alerts.yml'), 'utf8')).groups.flatMap((g) => g.rules);

describe('prometheus/prometheus.yml', () => {
  it('passes promtool check config as Docker Compose uses it, without a warning', async () => {
    const r = await promtool('check', 'config', path.join(PROM, 'prometheus.yml'));
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).not.toMatch(/WARNING/);
  });

  it('scrapes every service: workers, proxy, HAProxy, the Redis exporter and Prometheus', () => {
    const cfg = parseYaml<{ scrape_configs: { job_name: string }[] }>(readFileSync(path.join(PROM, 'prometheus.yml'), 'utf8'));
    expect(cfg.scrape_configs.map((j) => j.job_name).sort()).toEqual(['haproxy', 'mcp-worker', 'prometheus', 'proxy', 'redis']);
  });

  describe('as the native runner renders it', () => {
    const runDir = mkdtempSync(path.join(os.tmpdir(), 'prom-render-'));
    afterAll(() => rmSync(runDir, { recursive: true, force: true }));
    const env = { ...process.env, ENV_FILE: '/dev/null', RUN_DIR: runDir, WORKERS: '2', WORKER_HTTP_BASE_PORT: '9500', STATS_PORT: '8404', PROXY: '1', PROXY_PORT: '4000', REDIS_EXPORTER_PORT: '9121', PROMETHEUS_PORT: '9090', PROMETHEUS_SCRAPE_INTERVAL: '2s' };
    const render = () =>
      run('bash', ['-c', '. scripts/local-lib.sh && . scripts/local-observability.sh && load_settings up && write_prometheus_config'], env);

    it('leaves out Docker DNS discovery, takes PROMETHEUS_SCRAPE_INTERVAL, and passes promtool check config', async () => {
      expect(await render()).toMatchObject({ code: 0 });
      const file = path.join(runDir, 'prometheus/prometheus.yml');
      const cfg = parseYaml<{ global: Record<string, string>; scrape_configs: Record<string, unknown>[] }>(readFileSync(file, 'utf8'));
      for (const job of cfg.scrape_configs) expect(Object.keys(job).filter((k) => k.endsWith('_sd_configs') || k === 'static_configs')).toEqual(['file_sd_configs']);
      expect(cfg.global).toEqual({ scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' });
      const r = await promtool('check', 'config', file);
      expect(r).toMatchObject({ code: 0 });
      expect(r.out).toContain('14 rules found');
    });

    it('writes one file_sd target list per job, naming each worker', () => {
      const read = (job: string) => JSON.parse(readFileSync(path.join(runDir, `prometheus/targets/${job}.json`), 'utf8')) as unknown;
      expect(read('mcp-worker')).toEqual([
        { targets: ['127.0.0.1:9501'], labels: { worker: 'worker-1' } },
        { targets: ['127.0.0.1:9502'], labels: { worker: 'worker-2' } },
      ]);
      expect(read('haproxy')).toEqual([{ targets: ['127.0.0.1:8404'] }]);
      expect(read('proxy')).toEqual([{ targets: ['127.0.0.1:4000'] }]);
      expect(read('redis')).toEqual([{ targets: ['127.0.0.1:9121'] }]);
      expect(read('prometheus')).toEqual([{ targets: ['127.0.0.1:9090'] }]);
    });
  });
});

describe('prometheus/alerts.yml', () => {
  it('passes promtool check rules', async () => {
    const r = await promtool('check', 'rules', path.join(PROM, 'alerts.yml'));
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toContain('SUCCESS');
  });

  it('passes its unit tests (promtool test rules alerts.test.yml)', async () => {
    const r = await promtool('test', 'rules', path.join(PROM, 'alerts.test.yml'));
    if (r.code !== 0) throw new Error(r.out);
    expect(r.out).toContain('SUCCESS');
  });

  it('covers what the operator must hear about', () => {
    expect(alerts().map((r) => r.alert).sort()).toEqual(
      [
        'ActiveTargetUnhealthy',
        'CacheHitRatioCollapsed',
        'HAProxyNearMaxconn',
        'MCPWorkerDown',
        'MoodleErrors',
        'MoodleUnreachable',
        'NoHealthyWorker',
        'RedisDown',
        'ScrapeTargetDown',
        'TargetFailover',
        'ToolErrorRatioHigh',
        'ToolLatencyP95High',
        'WorkerCacheUnavailable',
        'WorkerFailingChecks',
      ].sort(),
    );
  });

  it.each(alerts().map((r) => [r.alert!, r] as const))('%s has a severity, a summary and a description', (_name, rule) => {
    expect(['critical', 'warning']).toContain(rule.labels?.severity);
    expect(rule.annotations?.summary?.length).toBeGreaterThan(10);
    expect(rule.annotations?.description?.length).toBeGreaterThan(40);
  });

  it('has a unit test in which each alert fires', () => {
    const tests = parseYaml<RuleTests>(readFileSync(path.join(PROM, 'alerts.test.yml'), 'utf8'));
    expect(tests.rule_files).toEqual(['alerts.yml']);
    const fired = new Set(tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => (a.exp_alerts ?? []).length > 0).map((a) => a.alertname)));
    for (const rule of alerts()) expect({ alert: rule.alert, fires: fired.has(rule.alert!) }).toEqual({ alert: rule.alert, fires: true });
  });

  it('uses only metrics documented in docs/METRICS.md', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/METRICS.md'), 'utf8');
    for (const rule of alerts()) {
      for (const sel of vectorSelectors(rule.expr)) {
        const name = metricName(sel)!.replace(/_(bucket|sum|count)$/, '');
        expect({ alert: rule.alert, name, documented: doc.includes('`' + name + '`') }).toEqual({ alert: rule.alert, name, documented: true });
      }
    }
  });
});
