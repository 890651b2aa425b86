/**
 * The results of one run: what was measured, on which machine, under what
 * load, as JSON (everything) and Markdown (the tables), plus the chart.
 * Written whatever happened -- a failed or interrupted scenario is recorded
 * with its error.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderChart } from './chart.js';
import type { Table } from './table.js';
import type { TargetRow } from './targets.js';

export interface ScenarioRecord {
  id: number;
  title: string;
  ok: boolean;
  error?: string;
  startedAt: string;
  seconds: number;
  /** os.loadavg() (1, 5, 15 min) when the scenario started and ended: other work on the machine shows here. */
  loadavg: { start: number[]; end: number[] };
  tables: Table[];
  notes: string[];
  data: Record<string, unknown>;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  kernel: string;
  node: string;
  haproxy: string;
  socat: string;
  redis: string;
}

export interface BenchResults {
  date: string;
  mode: 'full' | 'quick';
  startedAt: string;
  finishedAt: string;
  seconds: number;
  ok: boolean;
  interrupted: boolean;
  machine: Machine;
  settings: Record<string, number | string>;
  targets: TargetRow[];
  scenarios: ScenarioRecord[];
}

function firstLine(cmd: string, args: string[], match?: RegExp): string {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5_000 });
    return (match ? out.split('\n').find((l) => match.test(l)) : out.split('\n')[0])?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function describeMachine(): Machine {
  let osName = os.type();
  try {
    osName = /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? osName;
  } catch {
    // not Linux
  }
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName,
    kernel: os.release(),
    node: process.version,
    haproxy: firstLine('haproxy', ['-v']).replace(/ - https.*$/, ''),
    socat: firstLine('socat', ['-V'], /socat version/),
    redis: firstLine('redis-server', ['--version']).replace(/ sha=.*$/, ''),
  };
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function renderTable(t: Table): string {
  return [
    `**${t.title}**`,
    '',
    `| ${t.columns.map(cell).join(' | ')} |`,
    `|${t.columns.map((_, i) => (i === 0 ? '---' : '--:')).join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const out = [
    `# Benchmark ${r.date}${r.mode === 'quick' ? ' (quick)' : ''}: the stack vs the old way vs the echo limit`,
    '',
    `Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}, Linux ${m.kernel}, Node ${m.node}, ${m.haproxy}, ${m.socat}, ${m.redis}. Everything on 127.0.0.1.`,
    '',
    `Run: \`${r.mode === 'quick' ? 'make bench-quick' : 'make bench'}\`, started ${r.startedAt}, took ${Math.round(r.seconds)} s${r.interrupted ? ', **interrupted**' : ''}. ` +
      Object.entries(r.settings)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ') +
      '.',
    '',
    'Each figure is as printed by the benchmark. Systems, all behind the same HAProxy (haproxy/haproxy.cfg): **stack** = mcp-worker processes sharing Redis; **old way** = `socat TCP-LISTEN,fork EXEC` of the worker in `--stdio` mode, one Node process per connection; **echo limit** = a trivial NDJSON server answering every line at once. Ratios are stack ÷ other (for latencies lower is better, for calls/s higher is better).',
    '',
    '## Targets (issue 7)',
    '',
    renderTable({ title: 'Where the stack stands', columns: ['target', 'measured', 'met'], rows: r.targets.map((t) => [t.target, t.measured, t.met]) }),
  ];
  for (const s of r.scenarios) {
    out.push(
      '',
      `## ${s.id}. ${s.title}`,
      '',
      `Load average (1 / 5 / 15 min) at start ${load(s.loadavg.start)}, at end ${load(s.loadavg.end)}; took ${Math.round(s.seconds)} s.`,
    );
    if (!s.ok) out.push('', `**Failed:** ${s.error}`);
    for (const t of s.tables) out.push('', renderTable(t));
    if (s.notes.length) out.push('', ...s.notes.map((n) => `- ${n}`));
  }
  return out.join('\n') + '\n';
}

/** Writes <date>[-quick].json, .md, .svg and .png into `dir`; returns the paths written. */
export function writeResults(dir: string, r: BenchResults): string[] {
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${r.date}${r.mode === 'quick' ? '-quick' : ''}`);
  writeFileSync(`${base}.json`, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(`${base}.md`, renderMarkdown(r));
  const written = [`${base}.md`, `${base}.json`];
  try {
    const chart = renderChart(r);
    writeFileSync(`${base}.svg`, chart.svg);
    writeFileSync(`${base}.png`, chart.png);
    written.push(`${base}.png`, `${base}.svg`);
  } catch (err) {
    process.stderr.write(`chart not written: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  return written;
}
