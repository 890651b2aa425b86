/**
 * Result tables: plain data (title, columns, rows of text) that report.ts
 * renders as Markdown. `comparisonTable` puts the three systems side by side
 * with the ratios stack/old and stack/limit.
 */
import type { BoundedLatency, Latency } from './load.js';
import { SYSTEMS, SYSTEM_LABEL, type SystemName } from './systems.js';

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
}

/** A figure known only from below (clients that gave up waiting). */
export interface AtLeast {
  atLeast: number;
}
/** A measured figure, a lower bound, a reason it is missing (text), or nothing. */
export type Cell = number | AtLeast | string | null | undefined;

const isAtLeast = (v: Cell): v is AtLeast => typeof v === 'object' && v !== null;

/** Percentile `p` of `l` as a Cell: a lower bound where it falls on a client that gave up. */
export function boundedCell(l: BoundedLatency | null | undefined, p: keyof Latency): number | AtLeast | undefined {
  if (!l) return undefined;
  return l.atLeast.includes(p) ? { atLeast: l[p] } : l[p];
}

export interface Metric {
  name: string;
  values: Partial<Record<SystemName, Cell>>;
  /** Whether the ratio columns apply (false for counts such as errors). */
  ratio?: boolean;
}

/** Figures as printed: thousands separated, 2 significant decimals below 10, 1 below 100. */
export function fmt(v: Cell): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (isAtLeast(v)) return `≥ ${fmt(v.atLeast)}`;
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  const digits = a === 0 || Number.isInteger(v) ? 0 : a < 0.1 ? 3 : a < 10 ? 2 : a < 100 ? 1 : 0;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** a/b as printed ("—" when either is missing or b is 0; "≤ q" when b is a lower bound, "≥ q" when a is). */
export function ratio(a: Cell, b: Cell): string {
  const prefix = isAtLeast(a) && isAtLeast(b) ? undefined : isAtLeast(b) ? '≤ ' : isAtLeast(a) ? '≥ ' : '';
  const [x, y] = [isAtLeast(a) ? a.atLeast : a, isAtLeast(b) ? b.atLeast : b];
  if (prefix === undefined || typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y) || y === 0) return '—';
  const q = x / y;
  const digits = q >= 100 ? 0 : q >= 10 ? 1 : q >= 1 ? 2 : 3;
  return prefix + (q < 0.001 && q > 0 ? q.toExponential(1) : q.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
}

/** `limitLabel` renames the third column where the limit is not the echo server (e.g. "Moodle itself"). */
export function comparisonTable(title: string, metrics: Metric[], limitLabel = SYSTEM_LABEL.echo): Table {
  return {
    title,
    columns: ['', ...SYSTEMS.map((s) => (s === 'echo' ? limitLabel : SYSTEM_LABEL[s])), 'stack/old', 'stack/limit'],
    rows: metrics.map((m) => [
      m.name,
      ...SYSTEMS.map((s) => fmt(m.values[s])),
      m.ratio === false ? '' : ratio(m.values.stack, m.values.old),
      m.ratio === false ? '' : ratio(m.values.stack, m.values.echo),
    ]),
  };
}
