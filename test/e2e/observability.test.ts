import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SEED } from '@moodle-mcp/moodle-sim';
import { loadDashboards, panelQueries, substitute } from '../helpers/dashboards.js';
import { connectViaNcat, resultText } from '../helpers/mcp.js';
import { prepareNativeStack, processRuns, ROOT, type NativeStack } from '../helpers/nativeStack.js';
import { hasFiniteValue, PrometheusApi } from '../helpers/prometheusApi.js';
import { vectorSelectors } from '../helpers/promql.js';
import { freePort } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The issue's "done when": the native stack (`make local-observability`:
 * HAProxy, Redis, moodle-sim, 3 workers, the proxy) with Debian's Prometheus
 * scraping it every second through the same prometheus.yml and alert rules as
 * compose, and the Redis exporter. Teachers' traffic goes through HAProxy
 * (the MCP SDK's Client over ncat); then, through Prometheus's HTTP API: every
 * target is up, every alert rule loads and is silent while the stack is
 * healthy (and names only metrics that exist), every PromQL expression of
 * every dashboard panel returns data, every metric the services export is in
 * docs/METRICS.md; and killing a worker fires MCPWorkerDown.
 */
describe('observability: Prometheus scraping the native stack', () => {
  let stack: NativeStack;
  let prom: PrometheusApi;
  const clients: Client[] = [];
  let calls = 0;

  const call = async (c: Client, name: string, args: Record<string, unknown> = {}) => {
    const r = await c.callTool({ name, arguments: args });
    calls++;
    if (r.isError) throw new Error(`${name} failed: ${resultText(r)}`);
  };

  beforeAll(async () => {
    const [promPort, exporterPort] = [await freePort(), await freePort()];
    stack = await prepareNativeStack({
      workers: 3,
      env: {
        OBSERVABILITY: '1',
        PROMETHEUS_PORT: String(promPort),
        REDIS_EXPORTER_PORT: String(exporterPort),
        PROMETHEUS_SCRAPE_INTERVAL: '1s',
        // A killed worker stays down (the supervisor gives up at once), so its alert can fire.
        WORKER_MAX_RESTARTS: '0',
        HAPROXY_CHECK_INTER: '500ms',
        HAPROXY_CHECK_FASTINTER: '200ms',
        PROXY_HEALTH_INTERVAL_MS: '1000',
        DRAIN_TIMEOUT_MS: '2000',
      },
    });
    const up = await stack.make('local-observability');
    if (up.code !== 0) throw new Error(`make local-observability failed (${up.code}):\n${up.stdout}\n${up.stderr}`);
    expect(up.stdout).toContain(`Prometheus: http://127.0.0.1:${promPort}/`);
    prom = new PrometheusApi(`http://127.0.0.1:${promPort}`);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await stack?.down();
  }, 60_000);

  it('scrapes every service of the stack, and every target is up', async () => {
    const targets = await waitFor(
      'every target scraped and up',
      async () => {
        const t = await prom.targets();
        return t.length === 7 && t.every((x) => x.health === 'up') ? t : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    const jobs = targets.map((t) => `${t.labels.job}${t.labels.worker ? `/${t.labels.worker}` : ''}`).sort();
    expect(jobs).toEqual(['haproxy', 'mcp-worker/worker-1', 'mcp-worker/worker-2', 'mcp-worker/worker-3', 'prometheus', 'proxy', 'redis']);
  });

  it('loads every alert rule of prometheus/alerts.yml, with its summary and description', async () => {
    const rules = await waitFor('every rule evaluated', async () => {
      const r = await prom.alertRules();
      return r.length > 0 && r.every((x) => x.health === 'ok') ? r : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200 });
    const file = readFileSync(path.join(ROOT, 'prometheus/alerts.yml'), 'utf8');
    expect(rules.map((r) => r.name).sort()).toEqual([...file.matchAll(/^\s*- alert: (\w+)/gm)].map((m) => m[1]).sort());
    for (const r of rules) expect({ name: r.name, summary: !!r.annotations.summary, description: !!r.annotations.description }).toEqual({ name: r.name, summary: true, description: true });
  });

  it('records teachers\' traffic through HAProxy: sessions, tool calls, Moodle requests, cache hits', async () => {
    const teachers = await Promise.all(Array.from({ length: 6 }, (_, i) => connectViaNcat('127.0.0.1', stack.mcpPort, `teacher-${i}`)));
    clients.push(...teachers);
    // Identical cold reads at once: coalesced within and across workers.
    await Promise.all(teachers.map((c) => call(c, 'get_courses', { perPage: 5 })));
    for (const c of teachers) {
      await call(c, 'get_site_info');
      await call(c, 'list_students', { courseId: SEED.courseId });
      await call(c, 'get_assignments', { courseId: SEED.courseId });
      await call(c, 'get_courses', { perPage: 5 });
    }
    // One session ends, so "closed" has a sample that moved.
    await teachers.pop()!.close();
    await waitFor(
      'Prometheus to have scraped every call',
      async () => Number((await prom.query('sum(mcp_tool_calls_total)'))[0]?.value[1]) >= calls,
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    const one = async (expr: string) => Number((await prom.query(expr))[0]?.value[1] ?? NaN);
    // The proxy's deep checks are short MCP sessions of their own.
    expect(await one('sum(mcp_sessions_open)')).toBeGreaterThanOrEqual(5);
    expect(await one('sum(mcp_sessions_closed_total{reason="client"})')).toBeGreaterThan(0);
    expect(await one('sum(mcp_cache_lookups_total{result="hit"})')).toBeGreaterThan(0);
    expect(await one('sum(mcp_moodle_requests_total{outcome="ok"})')).toBeGreaterThan(0);
    expect(await one('sum(mcp_tool_call_duration_seconds_count)')).toBe(calls);
  }, 60_000);

  it('answers every PromQL expression of every dashboard panel with data', async () => {
    const workers = await prom.labelValues('worker', 'mcp_build_info');
    expect(workers.sort()).toEqual(['worker-1', 'worker-2', 'worker-3']);
    const queries = loadDashboards().flatMap((d) => panelQueries(d));
    expect(queries.length).toBeGreaterThan(50);
    // Health checks and rates need a few scrapes after the traffic; wait for all at once.
    const empty = await waitFor(
      'every panel query to return data',
      async () => {
        const results = await Promise.all(queries.map(async (q) => ({ q, data: hasFiniteValue(await prom.query(substitute(q.expr, { worker: workers[0]! }))) })));
        const missing = results.filter((r) => !r.data).map((r) => r.q.where);
        if (missing.length) throw new Error(`no data for: ${missing.join('; ')}`);
        return true;
      },
      { timeoutMs: 15_000, intervalMs: 500 },
    );
    expect(empty).toBe(true);
  }, 30_000);

  it('keeps every alert silent while the stack is healthy, and every metric its rules name exists', async () => {
    const rules = await prom.alertRules();
    for (const rule of rules) {
      for (const sel of vectorSelectors(rule.query)) {
        const series = await prom.query(sel);
        expect({ alert: rule.name, selector: sel, exists: series.length > 0 }).toEqual({ alert: rule.name, selector: sel, exists: true });
      }
    }
    await waitFor(
      'no alert expression to match',
      async () => {
        const matching = (await Promise.all(rules.map(async (r) => ((await prom.query(r.query)).length ? r.name : '')))).filter(Boolean);
        if (matching.length) throw new Error(`matching: ${matching.join(', ')}`);
        return true;
      },
      { timeoutMs: 10_000, intervalMs: 500 },
    );
    expect((await prom.alerts()).map((a) => a.labels.alertname)).toEqual([]);
  });

  it('documents in docs/METRICS.md every metric the workers and the proxy export, and exports every one it lists', async () => {
    const exported = new Set(
      (await prom.metricNames()).filter((n) => /^(mcp|proxy)_/.test(n)).map((n) => n.replace(/_(bucket|sum|count)$/, '')),
    );
    const doc = readFileSync(path.join(ROOT, 'docs/METRICS.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `((?:mcp|proxy)_[a-z_]+)`/gm)].map((m) => m[1]!));
    expect([...exported].sort()).toEqual([...documented].sort());
  });

  it('logs JSON lines with time, level, service and message in every service of ours, and tags proxy requests with an id', async () => {
    const res = await fetch(`http://127.0.0.1:${stack.proxyPort}/api/proxy/switch`, { method: 'POST', headers: { 'X-Request-Id': 'obs-test-1' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-request-id')).toBe('obs-test-1');
    const generated = (await fetch(`http://127.0.0.1:${stack.proxyPort}/health`)).headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f]{12}$/);
    const logDir = path.join(stack.runDir, 'logs');
    const lines = (name: string) => readFileSync(path.join(logDir, `${name}.log`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const [name, service] of [['worker-1', 'mcp-worker'], ['proxy', 'proxy'], ['moodle-sim', 'moodle-sim'], ['supervisor', 'local-supervisor']] as const) {
      const entries = lines(name);
      expect(entries.length).toBeGreaterThan(0);
      for (const e of entries) expect({ name, time: typeof e.time, level: typeof e.level, service: e.service, message: typeof e.message }).toEqual({ name, time: 'string', level: 'string', service, message: 'string' });
    }
    expect(lines('worker-1').some((e) => e.message === 'tool call' && typeof e.sessionId === 'string' && typeof e.tool === 'string')).toBe(true);
    await waitFor('the refused call in the proxy log, with its request id', () => lines('proxy').some((e) => e.message === 'refused an admin call' && e.requestId === 'obs-test-1'));
    // Prometheus and the Redis exporter log JSON too, in their own field names.
    for (const name of ['prometheus', 'redis-exporter']) expect(lines(name).length).toBeGreaterThan(0);
  });

  it('fires MCPWorkerDown for a worker that is killed and stays down', async () => {
    const pid = stack.workerPid(3);
    process.kill(pid, 'SIGKILL');
    await waitFor('worker-3 to be gone', () => !processRuns(pid));
    const state = async () => (await prom.alerts()).find((a) => a.labels.alertname === 'MCPWorkerDown' && a.labels.worker === 'worker-3')?.state;
    await waitFor('MCPWorkerDown pending for worker-3', async () => (await state()) === 'pending', { timeoutMs: 10_000, intervalMs: 250 });
    // `for: 30s` in alerts.yml, evaluated every second here.
    await waitFor('MCPWorkerDown firing for worker-3', async () => (await state()) === 'firing', { timeoutMs: 40_000, intervalMs: 500 });
    const firing = (await prom.alerts()).filter((a) => a.state === 'firing').map((a) => a.labels.alertname);
    expect(firing).toEqual(['MCPWorkerDown']);
  }, 60_000);
});
