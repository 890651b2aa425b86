/**
 * The chart of a run: latency percentiles and throughput of the three
 * systems, as an SVG drawn here (no charting library) and a PNG rendered from
 * it by resvg (no browser). Logarithmic axes where the systems differ by
 * orders of magnitude.
 */
import { Resvg } from '@resvg/resvg-js';
import type { BenchResults } from './report.js';
import type { CachedResult } from './scenarios/cachedReads.js';
import { atLevel, isFailure, type Failure, type Levels, type PerSystem } from './scenarios/context.js';
import type { ScalingResult } from './scenarios/scaling.js';
import type { SetupResult } from './scenarios/setup.js';
import { SYSTEMS, SYSTEM_LABEL, type SystemName } from './systems.js';
import { boundedCell, fmt, type AtLeast } from './table.js';

const COLOR: Record<SystemName, string> = { stack: '#2563eb', old: '#dc2626', echo: '#6b7280' };
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
const W = 1400;
const H = 1000;

interface Series {
  label: string;
  color: string;
}
interface Group {
  label: string;
  /** One per series; a lower bound is drawn to its value and labelled "≥". */
  values: (number | AtLeast | undefined)[];
}
const num = (v: number | AtLeast | undefined) => (typeof v === 'object' ? v.atLeast : v);
interface Panel {
  title: string;
  unit: string;
  log: boolean;
  series: Series[];
  groups: Group[];
  /** Horizontal reference lines across the panel. */
  lines?: { label: string; value: number; color: string }[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const text = (x: number, y: number, s: string, o: { size?: number; anchor?: string; weight?: string; fill?: string } = {}) =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="${FONT}" font-size="${o.size ?? 13}" text-anchor="${o.anchor ?? 'start'}" font-weight="${o.weight ?? 'normal'}" fill="${o.fill ?? '#111'}">${esc(s)}</text>`;

/** Axis range and ticks: powers of ten (log) or 5-ish round steps from 0 (linear). */
function axis(values: number[], log: boolean): { lo: number; hi: number; ticks: number[]; pos: (v: number) => number } {
  const vs = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (log) {
    const lo = 10 ** Math.floor(Math.log10(Math.min(...vs, 1)));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...vs, lo * 10) * 1.05));
    const ticks: number[] = [];
    for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
    return { lo, hi, ticks, pos: (v) => (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) };
  }
  const max = Math.max(...vs, 1) * 1.1;
  const step = 10 ** Math.floor(Math.log10(max / 5));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => max / s <= 6) ?? step * 10;
  const hi = Math.ceil(max / nice) * nice;
  const ticks: number[] = [];
  for (let t = 0; t <= hi + nice / 2; t += nice) ticks.push(t);
  return { lo: 0, hi, ticks, pos: (v) => v / hi };
}

function drawPanel(p: Panel, x0: number, y0: number, w: number, h: number): string {
  const out: string[] = [];
  const left = x0 + 70;
  const right = x0 + w - 15;
  const top = y0 + 60;
  const bottom = y0 + h - 60;
  out.push(text(x0 + 10, y0 + 24, p.title, { size: 17, weight: 'bold' }));
  out.push(text(x0 + 10, y0 + 44, `${p.unit}${p.log ? ' (log scale)' : ''}`, { size: 12, fill: '#555' }));
  // Legend.
  let lx = right;
  for (const s of [...p.series].reverse()) {
    const width = 22 + s.label.length * 7.5;
    lx -= width;
    out.push(`<rect x="${lx}" y="${y0 + 32}" width="12" height="12" fill="${s.color}"/>`, text(lx + 16, y0 + 43, s.label, { size: 12 }));
  }
  const all = [...p.groups.flatMap((g) => g.values.map(num).filter((v): v is number => v !== undefined)), ...(p.lines ?? []).map((l) => l.value)];
  if (!all.length) {
    out.push(text((left + right) / 2, (top + bottom) / 2, 'not measured in this run', { anchor: 'middle', fill: '#777' }));
    return out.join('\n');
  }
  const ax = axis(all, p.log);
  const yOf = (v: number) => bottom - ax.pos(v) * (bottom - top);
  for (const t of ax.ticks) {
    const y = yOf(t);
    out.push(
      `<line x1="${left}" y1="${y.toFixed(1)}" x2="${right}" y2="${y.toFixed(1)}" stroke="#e5e7eb"/>`,
      text(left - 6, y + 4, fmt(t), { size: 11, anchor: 'end', fill: '#555' }),
    );
  }
  out.push(
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333"/>`,
  );
  const gw = (right - left) / p.groups.length;
  const bw = Math.min(60, (gw * 0.8) / p.series.length);
  p.groups.forEach((g, gi) => {
    const gx = left + gi * gw + (gw - bw * p.series.length) / 2;
    g.values.forEach((v, si) => {
      const bx = gx + si * bw;
      if (v === undefined) {
        out.push(text(bx + bw / 2, bottom - 6, 'n/a', { size: 10, anchor: 'middle', fill: '#999' }));
        return;
      }
      const y = yOf(num(v)!);
      out.push(
        `<rect x="${(bx + 2).toFixed(1)}" y="${y.toFixed(1)}" width="${(bw - 4).toFixed(1)}" height="${Math.max(1, bottom - y).toFixed(1)}" fill="${p.series[si].color}"/>`,
      );
      out.push(text(bx + bw / 2, y - 4, fmt(v), { size: 10, anchor: 'middle' }));
    });
    out.push(text(left + gi * gw + gw / 2, bottom + 20, g.label, { size: 12, anchor: 'middle' }));
  });
  for (const l of p.lines ?? []) {
    const y = yOf(l.value);
    out.push(`<line x1="${left}" y1="${y.toFixed(1)}" x2="${right}" y2="${y.toFixed(1)}" stroke="${l.color}" stroke-width="2" stroke-dasharray="6 4"/>`);
    // At the left end: bars start a group's half-width in, and the right end is where the last bar stands.
    out.push(text(left + 6, y - 5, `${l.label}: ${fmt(l.value)}`, { size: 11, fill: l.color }));
  }
  return out.join('\n');
}

const systemSeries: Series[] = SYSTEMS.map((s) => ({ label: SYSTEM_LABEL[s], color: COLOR[s] }));

function resultsOf<T>(r: BenchResults, id: number): PerSystem<T> {
  return (r.scenarios.find((s) => s.id === id)?.data.results ?? {}) as PerSystem<T>;
}

/** The levels measured for the first system that has them. */
function levelsOf(results: PerSystem<Levels<unknown>>): string[] {
  for (const s of SYSTEMS) {
    const r = results[s];
    if (r && !isFailure(r)) return Object.keys(r);
  }
  return [];
}

/** The four panels of a run, from the figures of scenarios 1, 2 and 5. */
export function chartPanels(r: BenchResults): Panel[] {
  const setup = resultsOf<Levels<SetupResult>>(r, 1);
  const cached = resultsOf<Levels<CachedResult>>(r, 2);
  const setupCounts = levelsOf(setup);
  const cachedCounts = levelsOf(cached);
  // Latency percentiles at the concurrency closest to 50 (the reference point).
  const at = cachedCounts.reduce<string | undefined>(
    (best, c) => (best === undefined || Math.abs(Number(c) - 50) < Math.abs(Number(best) - 50) ? c : best),
    undefined,
  );
  const percentiles = ['p50', 'p95', 'p99', 'max'] as const;
  const scaling = r.scenarios.find((s) => s.id === 5)?.data as
    { stack?: Record<string, PerSystem<ScalingResult>>; references?: PerSystem<ScalingResult> } | undefined;
  const workerCounts = Object.keys(scaling?.stack ?? {});
  const ok = <T>(v: T | Failure | undefined) => (v === undefined || isFailure(v) ? undefined : v);
  const ref = (s: SystemName) => ok(scaling?.references?.[s])?.calls.callsPerSecond;
  return [
    {
      title: `Cached get_courses latency, ${at ?? '?'} concurrent sessions`,
      unit: 'milliseconds, lower is better',
      log: true,
      series: systemSeries,
      groups: percentiles.map((p) => ({ label: p, values: SYSTEMS.map((s) => (at ? atLevel(cached[s], at)?.getCourses.latencyMs?.[p] : undefined)) })),
    },
    {
      title: 'Cached get_courses throughput by concurrency',
      unit: 'calls per second, higher is better',
      log: true,
      series: systemSeries,
      groups: cachedCounts.map((c) => ({
        label: `${c} session${c === '1' ? '' : 's'}`,
        values: SYSTEMS.map((s) => atLevel(cached[s], c)?.getCourses.callsPerSecond),
      })),
    },
    {
      title: 'Session set-up: connect + initialize, p50 and p99 (≥: clients gave up)',
      unit: 'milliseconds, lower is better',
      log: true,
      series: systemSeries,
      groups: setupCounts.flatMap((c) =>
        (['p50', 'p99'] as const).map((p) => ({
          label: `${Number(c).toLocaleString('en-US')} clients, ${p}`,
          values: SYSTEMS.map((s) => boundedCell(atLevel(setup[s], c)?.connectInitAllMs, p)),
        })),
      ),
    },
    {
      title: 'Scaling: cached get_courses calls/s by worker count',
      unit: 'calls per second, higher is better',
      log: false,
      series: [{ label: 'stack', color: COLOR.stack }],
      groups: workerCounts.map((w) => ({ label: `${w} worker${w === '1' ? '' : 's'}`, values: [ok(scaling?.stack?.[w]?.stack)?.calls.callsPerSecond] })),
      lines: (['echo', 'old'] as const).flatMap((s) => {
        const v = ref(s);
        return v === undefined ? [] : [{ label: SYSTEM_LABEL[s], value: v, color: COLOR[s] }];
      }),
    },
  ];
}

export function renderChart(r: BenchResults): { svg: string; png: Buffer } {
  const panels = chartPanels(r);
  const m = r.machine;
  const body = panels.map((p, i) => drawPanel(p, (i % 2) * (W / 2), 60 + Math.floor(i / 2) * ((H - 60) / 2), W / 2, (H - 60) / 2)).join('\n');
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    text(20, 32, `Moodle MCP stack vs the old way (process per connection) vs the echo limit — ${r.date}${r.mode === 'quick' ? ' (quick run)' : ''}`, {
      size: 20,
      weight: 'bold',
    }),
    text(20, 52, `${m.cpus} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; all through the same HAProxy on 127.0.0.1`, { size: 13, fill: '#555' }),
    body,
    '</svg>',
  ].join('\n');
  const png = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' }).render().asPng();
  return { svg, png };
}
