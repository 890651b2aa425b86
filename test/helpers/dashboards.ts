import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The Grafana dashboards of grafana/dashboards, read as provisioning loads them. */
export const DASHBOARD_DIR = path.resolve(__dirname, '../../grafana/dashboards');

export interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  datasource?: { type?: string; uid?: string };
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
export interface TemplateVar {
  name: string;
  type: string;
  query: string | { query: string };
  datasource?: { type?: string; uid?: string };
}
export interface Dashboard {
  file: string;
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: TemplateVar[] };
}

export function loadDashboards(): Dashboard[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ ...(JSON.parse(readFileSync(path.join(DASHBOARD_DIR, file), 'utf8')) as Omit<Dashboard, 'file'>), file }));
}

/** Every panel, rows' nested panels included. */
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** One PromQL expression of one panel, named for messages ("overview.json / Tool latency p95 / A"). */
export interface PanelQuery {
  where: string;
  expr: string;
}

export function panelQueries(d: Dashboard): PanelQuery[] {
  return allPanels(d).flatMap((p) => (p.targets ?? []).map((t) => ({ where: `${d.file} / ${p.title} / ${t.refId}`, expr: t.expr })));
}

/** Grafana's own variables, with the values a query over the last few minutes would get. */
export const BUILTIN_VARIABLES: Record<string, string> = { __rate_interval: '2m', __interval: '15s', __range: '5m' };

/** `expr` with every $var / ${var} replaced: Grafana's built-ins and the dashboard's `values`. */
export function substitute(expr: string, values: Record<string, string> = {}): string {
  const all = { ...BUILTIN_VARIABLES, ...values };
  return expr.replace(/\$\{?(\w+)\}?/g, (m, name: string) => {
    const v = all[name];
    if (v === undefined) throw new Error(`no value for variable $${name} in ${expr}`);
    return v;
  });
}
