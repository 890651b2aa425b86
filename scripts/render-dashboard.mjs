#!/usr/bin/env node
// Renders a Grafana dashboard of grafana/dashboards with real data from a
// Prometheus, without Grafana (Debian has no package of it): every panel's
// queries over the last MINUTES, laid out on Grafana's 24-column grid, time
// series as SVG lines, stats as numbers, state timelines as coloured bands.
// Writes an HTML page, and a PNG of it through headless Chromium with --png.
//
//   node scripts/render-dashboard.mjs --prometheus http://127.0.0.1:9090 \
//     [--dashboard grafana/dashboards/overview.json] [--minutes 15] [--var worker=worker-1] \
//     [--html out.html] [--png docs/overview-dashboard.png]
//
// `make dashboard-picture` runs it on the native stack's Prometheus
// (make local-observability). It is a picture for documentation, not a
// replacement for Grafana: units, thresholds and mappings are approximated.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const COLS = 24;
const WIDTH = 1600;
const ROW_PX = 30;
// Grafana's named colours, as the dashboards' thresholds and value mappings use them.
const NAMED = { green: '#73bf69', red: '#f2495c', orange: '#ff9830', yellow: '#fade2a', blue: '#5794f2', transparent: 'transparent' };
const hex = (c) => NAMED[c] ?? c;
const PALETTE = ['#73bf69', '#f2cc0c', '#5794f2', '#ff9830', '#f2495c', '#b877d9', '#8ab8ff', '#fade2a', '#ff780a', '#96d98d', '#ca95e5', '#ffb357'];

function args(argv) {
  const out = { dashboard: 'grafana/dashboards/overview.json', minutes: 15, vars: {} };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (v === undefined) usage(`${k} needs a value`);
    if (k === '--var') {
      const [name, ...rest] = v.split('=');
      out.vars[name] = rest.join('=');
    } else if (['--prometheus', '--dashboard', '--minutes', '--html', '--png'].includes(k)) out[k.slice(2)] = v;
    else usage(`unknown option ${k}`);
  }
  if (!out.prometheus) usage('--prometheus URL is required');
  out.minutes = Number(out.minutes);
  return out;
}

function usage(why) {
  console.error(`render-dashboard: ${why}\nusage: node scripts/render-dashboard.mjs --prometheus URL [--dashboard FILE] [--minutes N] [--var name=value] [--html FILE] [--png FILE]`);
  process.exit(2);
}

async function queryRange(base, expr, start, end, step) {
  const u = `${base}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${start}&end=${end}&step=${step}`;
  const body = await (await fetch(u)).json();
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result.map((r) => ({ metric: r.metric, points: r.values.map(([t, v]) => [t, Number(v)]) }));
}

const legend = (fmt, metric) => (fmt ? fmt.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, l) => metric[l] ?? '') : Object.entries(metric).map(([k, v]) => `${k}=${v}`).join(', ') || 'value');
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function fmt(v, unit) {
  if (!Number.isFinite(v)) return '–';
  const n = (x, d = 2) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(d));
  switch (unit) {
    case 'percentunit': return `${n(v * 100, 1)}%`;
    case 's': return v === 0 ? '0 s' : v < 1e-3 ? `${n(v * 1e6)} µs` : v < 1 ? `${n(v * 1e3)} ms` : `${n(v)} s`;
    case 'bytes': { const u = ['B', 'KiB', 'MiB', 'GiB']; let i = 0; while (Math.abs(v) >= 1024 && i < 3) { v /= 1024; i++; } return `${n(v)} ${u[i]}`; }
    case 'reqps': return `${n(v)} req/s`;
    case 'ops': return `${n(v)}/s`;
    default: return Math.abs(v) >= 1e3 ? `${n(v / 1e3)}k` : Number.isInteger(v) ? String(v) : n(v);
  }
}

function mapped(panel, v) {
  for (const m of panel.fieldConfig?.defaults?.mappings ?? []) {
    const hit = m.options?.[String(v)];
    if (hit) return hit;
  }
  return undefined;
}

function thresholdColor(panel, v) {
  let color = 'green';
  for (const s of panel.fieldConfig?.defaults?.thresholds?.steps ?? []) if (s.value === null || v >= s.value) color = s.color;
  return hex(color);
}

// A picture has no tooltip: series that stayed at zero are left out (all of
// them when none moved), so the legend names the lines that can be seen.
function moving(series) {
  const some = series.filter((s) => s.points.some((p) => Number.isFinite(p[1]) && p[1] !== 0));
  return some.length ? some : series;
}

function timeseries(panel, all, w, h, start, end) {
  const series = moving(all);
  const unit = panel.fieldConfig?.defaults?.unit;
  const pts = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const lo = Math.min(0, ...pts);
  const hi = panel.fieldConfig?.defaults?.max ?? Math.max(lo + 1e-9, ...pts) * 1.1;
  const pad = { l: 64, r: 8, t: 6, b: 18 };
  const legendRows = Math.min(3, Math.ceil(series.length / 3));
  const ph = h - pad.t - pad.b - legendRows * 15;
  const x = (t) => pad.l + ((t - start) / (end - start)) * (w - pad.l - pad.r);
  const y = (v) => pad.t + ph - ((v - lo) / (hi - lo)) * ph;
  let svg = '';
  for (let i = 0; i <= 3; i++) {
    const v = lo + ((hi - lo) * i) / 3;
    svg += `<line x1="${pad.l}" x2="${w - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#2c3235"/><text x="${pad.l - 4}" y="${y(v) + 4}" text-anchor="end">${esc(fmt(v, unit))}</text>`;
  }
  series.forEach((s, i) => {
    const d = s.points.filter((p) => Number.isFinite(p[1])).map((p, j) => `${j ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
    if (d) svg += `<path d="${d}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="1.5"/>`;
  });
  const leg = series.slice(0, 9).map((s, i) => `<span><i style="background:${PALETTE[i % PALETTE.length]}"></i>${esc(s.name)}</span>`).join('') + (series.length > 9 ? `<span>+${series.length - 9} more</span>` : '');
  return `<svg width="${w}" height="${h - legendRows * 15}">${svg}</svg><div class="legend">${leg}</div>`;
}

function stat(panel, series) {
  const unit = panel.fieldConfig?.defaults?.unit;
  const textMode = panel.options?.textMode;
  const items = series.map((s) => {
    const last = [...s.points].reverse().find((p) => Number.isFinite(p[1]))?.[1] ?? NaN;
    const m = mapped(panel, last);
    const text = textMode === 'name' ? s.name : m?.text ?? fmt(last, unit);
    const color = m?.color ? hex(m.color) : thresholdColor(panel, last);
    return `<div class="stat" style="color:${color}">${esc(text)}${series.length > 1 && textMode !== 'name' ? `<small>${esc(s.name)}</small>` : ''}</div>`;
  });
  return `<div class="stats">${items.join('') || '<div class="stat">–</div>'}</div>`;
}

function timeline(panel, series, w, start, end) {
  const rows = series.map((s) => {
    const cells = s.points.map((p, i) => {
      const next = s.points[i + 1]?.[0] ?? end;
      const m = mapped(panel, p[1]);
      const color = m?.color ? hex(m.color) : '#555';
      return `<rect x="${((p[0] - start) / (end - start)) * (w - 140)}" width="${Math.max(1, ((next - p[0]) / (end - start)) * (w - 140))}" height="18" fill="${color}"/>`;
    });
    const last = mapped(panel, s.points[s.points.length - 1]?.[1])?.text ?? '';
    return `<div class="tl"><b>${esc(s.name)}</b><svg width="${w - 140}" height="18">${cells.join('')}</svg><em>${esc(last)}</em></div>`;
  });
  return rows.join('');
}

async function main() {
  const o = args(process.argv.slice(2));
  const dash = JSON.parse(readFileSync(o.dashboard, 'utf8'));
  const end = Math.floor(Date.now() / 1000);
  const start = end - o.minutes * 60;
  const step = Math.max(1, Math.floor((end - start) / 150));
  const vars = { __rate_interval: `${Math.max(60, step * 4)}s`, __interval: `${step}s`, __range: `${o.minutes * 60}s`, ...o.vars };
  const sub = (e) => e.replace(/\$\{?(\w+)\}?/g, (m, n) => vars[n] ?? m);
  const unit = WIDTH / COLS;
  let html = '';
  let maxY = 0;
  for (const p of dash.panels) {
    const { x, y, w, h } = p.gridPos;
    maxY = Math.max(maxY, (y + h) * ROW_PX);
    const box = `left:${x * unit}px;top:${y * ROW_PX}px;width:${w * unit - 6}px;height:${h * ROW_PX - 6}px`;
    if (p.type === 'row') {
      html += `<div class="row" style="${box}">${esc(p.title)}</div>`;
      continue;
    }
    const series = [];
    for (const t of p.targets ?? []) {
      for (const s of await queryRange(o.prometheus, sub(t.expr), start, end, step)) series.push({ ...s, name: legend(t.legendFormat, s.metric) });
    }
    const pw = w * unit - 18;
    const ph = h * ROW_PX - 34;
    const body = p.type === 'stat' ? stat(p, series) : p.type === 'state-timeline' ? timeline(p, series, pw, start, end) : timeseries(p, series, pw, ph, start, end);
    html += `<div class="panel" style="${box}"><h3>${esc(p.title)}</h3>${body}</div>`;
  }
  const page = `<!doctype html><meta charset="utf-8"><title>${esc(dash.title)}</title><style>
body{margin:0;background:#111217;color:#ccccdc;font:12px Inter,Helvetica,Arial,sans-serif}
header{padding:10px 14px;font-size:17px}header small{color:#8e8e9e;font-size:12px;margin-left:12px}
main{position:relative;margin:0 8px;height:${maxY}px}
.panel,.row{position:absolute;box-sizing:border-box}.panel{background:#181b1f;border:1px solid #2c3235;border-radius:3px;padding:4px 8px;overflow:hidden}
.row{font-weight:600;font-size:14px;padding-top:6px;border-bottom:1px solid #2c3235}
h3{margin:0 0 4px;font-size:12px;font-weight:500;white-space:nowrap;overflow:hidden}
svg text{fill:#8e8e9e;font-size:10px}.legend span{margin-right:10px;white-space:nowrap;font-size:10px}.legend i{display:inline-block;width:10px;height:3px;margin-right:4px;vertical-align:middle}
.stats{display:flex;gap:8px;align-items:center;justify-content:center;height:80%}.stat{font-size:26px;font-weight:500;text-align:center}.stat small{display:block;font-size:10px;color:#8e8e9e}
.tl{display:flex;align-items:center;gap:6px;margin:2px 0}.tl b{width:110px;font-weight:400;font-size:10px;overflow:hidden;white-space:nowrap}.tl em{font-size:10px;font-style:normal}
</style><header>${esc(dash.title)}<small>last ${o.minutes} min · rendered from Prometheus ${esc(o.prometheus)} · ${new Date(end * 1000).toISOString()}</small></header><main>${html}</main>`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dashboard-'));
  try {
    const htmlFile = o.html ?? path.join(dir, 'dashboard.html');
    writeFileSync(htmlFile, page);
    if (o.png) {
      const chromium = process.env.CHROMIUM_BIN ?? 'chromium';
      execFileSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${path.join(dir, 'profile')}`,
        `--window-size=${WIDTH + 16},${maxY + 60}`, `--screenshot=${path.resolve(o.png)}`, `file://${path.resolve(htmlFile)}`], { stdio: 'ignore', timeout: 60_000 });
      console.log(`render-dashboard: ${o.png}`);
    }
    if (o.html) console.log(`render-dashboard: ${o.html}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`render-dashboard: ${err.message}`);
  process.exit(1);
});
