import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { allPanels, loadDashboards, panelQueries, substitute, type Dashboard } from '../helpers/dashboards.js';
import { ROOT, run } from '../helpers/nativeStack.js';
import { metricName, vectorSelectors } from '../helpers/promql.js';
import { parseYaml } from '../helpers/yaml.js';

/**
 * grafana/: provisioning (data source, dashboard provider) and the dashboards,
 * checked as Grafana would load them. No Grafana runs here (Debian has no
 * package); test/e2e/observability.test.ts runs every panel's query against a
 * real Prometheus scraping the stack.
 */
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');
const dashboards = loadDashboards();
const PANEL_TYPES = new Set(['row', 'timeseries', 'stat', 'state-timeline', 'table', 'bargauge', 'gauge', 'text']);

interface ComposeFile {
  services: Record<string, { volumes?: string[] }>;
}
const grafanaMounts = () => {
  const volumes = parseYaml<ComposeFile>(read('docker-compose.yml')).services.grafana?.volumes ?? [];
  return Object.fromEntries(volumes.map((v) => v.split(':')).map(([src, dst]) => [src!, dst!]));
};

describe('grafana/provisioning', () => {
  const datasources = parseYaml<{ apiVersion: number; datasources: { name: string; uid: string; type: string; url: string; access: string; isDefault?: boolean }[] }>(
    read('grafana/provisioning/datasources/prometheus.yml'),
  );
  const providers = parseYaml<{ apiVersion: number; providers: { name: string; type: string; options: { path: string } }[] }>(read('grafana/provisioning/dashboards/moodle-mcp.yml'));

  it('provisions the stack\'s Prometheus as the default data source', () => {
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090', access: 'proxy', isDefault: true }),
    ]);
  });

  it('loads the dashboards from where docker-compose.yml mounts grafana/dashboards, and mounts the provisioning', () => {
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers).toEqual([expect.objectContaining({ type: 'file' })]);
    const mounts = grafanaMounts();
    expect(mounts['./grafana/provisioning']).toBe('/etc/grafana/provisioning');
    expect(mounts['./grafana/dashboards']).toBe(providers.providers[0]!.options.path);
  });
});

describe.each(dashboards.map((d) => [d.file, d] as const))('grafana/dashboards/%s', (_file, d: Dashboard) => {
  const panels = allPanels(d);
  const vars = new Set(d.templating.list.map((v) => v.name));

  it('is a dashboard model Grafana provisions: uid, title, schema version, panels', () => {
    expect(d.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(d.title.length).toBeGreaterThan(0);
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(panels.length).toBeGreaterThan(5);
  });

  it('gives every panel a unique id, a known type and a place on the 24-column grid, with no two overlapping', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const owner = new Map<string, string>();
    const overlaps: string[] = [];
    for (const p of panels) {
      expect({ title: p.title, type: PANEL_TYPES.has(p.type) }).toEqual({ title: p.title, type: true });
      const { x, y, w, h } = p.gridPos;
      expect({ title: p.title, fits: x >= 0 && w > 0 && h > 0 && x + w <= 24 && y >= 0 }).toEqual({ title: p.title, fits: true });
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          const other = owner.get(`${i},${j}`);
          if (other) overlaps.push(`${p.title} overlaps ${other} at ${i},${j}`);
          owner.set(`${i},${j}`, p.title);
        }
      }
    }
    expect(overlaps).toEqual([]);
  });

  it('queries the provisioned data source from every data panel, each target with its own refId and a PromQL expression', () => {
    for (const p of panels.filter((p) => p.type !== 'row' && p.type !== 'text')) {
      expect({ title: p.title, ds: p.datasource?.uid }).toEqual({ title: p.title, ds: 'prometheus' });
      const targets = p.targets ?? [];
      expect({ title: p.title, targets: targets.length > 0 }).toEqual({ title: p.title, targets: true });
      expect(new Set(targets.map((t) => t.refId)).size).toBe(targets.length);
      for (const t of targets) expect({ title: p.title, expr: t.expr.trim().length > 0, ds: t.datasource?.uid ?? 'prometheus' }).toEqual({ title: p.title, expr: true, ds: 'prometheus' });
    }
  });

  it('uses only variables it defines or Grafana provides, and defines them from the data source', () => {
    for (const v of d.templating.list) {
      expect(v).toMatchObject({ type: 'query', datasource: { uid: 'prometheus' } });
      expect(typeof v.query === 'string' ? v.query : v.query.query).toMatch(/^label_values\(\w+, *\w+\)$/);
    }
    const values = Object.fromEntries([...vars].map((v) => [v, 'x']));
    for (const q of panelQueries(d)) expect(() => substitute(q.expr, values)).not.toThrow();
  });

  it('has only expressions promtool parses, on metrics documented in docs/METRICS.md', async () => {
    const values = Object.fromEntries([...vars].map((v) => [v, 'worker-1']));
    const queries = panelQueries(d);
    // promtool has no "parse" command; as recording rules, `check rules` parses every expression.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dash-rules-'));
    try {
      const file = path.join(dir, 'panels.yml');
      const rules = queries.map((q, i) => ({ record: `panel_${i}`, expr: substitute(q.expr, values) }));
      writeFileSync(file, JSON.stringify({ groups: [{ name: d.uid, rules }] }));
      const r = await run('promtool', ['check', 'rules', file], process.env);
      if (r.code !== 0) throw new Error(r.stdout + r.stderr);
      expect(r.stdout).toContain(`${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const doc = read('docs/METRICS.md');
    for (const q of queries) {
      for (const sel of vectorSelectors(substitute(q.expr, values))) {
        const name = metricName(sel)!.replace(/_(bucket|sum|count)$/, '');
        const documented = doc.includes('`' + name + '`') || (/^(process|nodejs)_/.test(name) && doc.includes('`process_*`, `nodejs_*`'));
        expect({ where: q.where, name, documented }).toEqual({ where: q.where, name, documented: true });
      }
    }
  });
});

describe('the dashboards together', () => {
  it('are an overview and a per-worker drill-down with a worker variable, linked to each other', () => {
    const byUid = Object.fromEntries(dashboards.map((d) => [d.uid, d]));
    expect(Object.keys(byUid).sort()).toEqual(['moodle-mcp-overview', 'moodle-mcp-worker']);
    expect(byUid['moodle-mcp-worker']!.templating.list.map((v) => v.name)).toEqual(['worker']);
    expect(JSON.stringify(byUid['moodle-mcp-overview'])).toContain('/d/moodle-mcp-worker');
    expect(JSON.stringify(byUid['moodle-mcp-worker'])).toContain('/d/moodle-mcp-overview');
  });

  it('show on the overview what the operator asked for', () => {
    const overview = dashboards.find((d) => d.uid === 'moodle-mcp-overview')!;
    const exprs = panelQueries(overview).map((q) => q.expr).join('\n');
    for (const needle of [
      'mcp_tool_calls_total', // traffic and errors
      'histogram_quantile(0.5, sum by (tool, le)', // latency percentiles per tool
      'histogram_quantile(0.95, sum by (tool, le)',
      'histogram_quantile(0.99, sum by (tool, le)',
      'sum by (worker) (mcp_sessions_open)', // sessions per worker
      'mcp_cache_lookups_total{result=~"hit|stale"}', // hit ratio, Moodle calls saved
      'mcp_moodle_request_duration_seconds_bucket', // Moodle latency
      'mcp_moodle_requests_total{outcome!="ok"}', // Moodle errors
      'haproxy_server_status', // HAProxy backend states
      'proxy_worker_up', // health
      'proxy_target_switches_total', // failovers
    ]) {
      expect({ needle, found: exprs.includes(needle) }).toEqual({ needle, found: true });
    }
  });
});
