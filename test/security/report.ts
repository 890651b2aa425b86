/**
 * The suite's figures: one row per kind of bad input or abuse, and the
 * targets (0 crashes, 0 errors in the well-behaved session, every input
 * answered as promised, 0 secrets found), printed as a table and written to
 * run/security/report.{json,txt} for `make test-security`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Occurrence } from './secrets.js';

export interface Row {
  what: string;
  tried: number;
  asExpected: number;
  /** Requests answered -32029 by the per-session rate limit (legitimate on floods). */
  rateLimited?: number;
  examples?: string[];
}

export interface WorkerMemory {
  worker: string;
  beforeBytes: number;
  peakBytes: number;
  afterBytes: number;
}

export interface SecurityReport {
  profile: string;
  seed: number;
  workers: number;
  rows: Row[];
  unexpectedAnswers: string[];
  /** Fuzz batches (connections) not started because the time budget ran out: fewer inputs tried, not a failure. */
  skipped: { batches: number; of: number };
  crashes: string[];
  /** HAProxy log lines of workers marked DOWN or put in maintenance during the run (their sessions are cut). */
  takenOut: string[];
  wellBehaved: { calls: number; errors: string[] };
  memory: WorkerMemory[];
  /** Growth allowed while clients do not read (sum over workers), bytes. */
  backlogBoundBytes: number;
  backlogGrowthBytes: number;
  /** Idle connections: the profile's number, what this host's file-descriptor limit allows (`target`), opened, seen as sessions. */
  idle: { wanted: number; target: number; opened: number; sessionsSeen: number; note?: string };
  /** Worker log lines that name a forged PROXY header's address or CN, and lines that name the real client addresses. */
  forgedIdentity: { believed: number; realLogged: number };
  secrets?: { secrets: number; sources: number; found: Occurrence[]; places: string[] };
  durationSeconds: number;
  /** How long each phase of the abuse took, seconds. */
  phaseSeconds: Record<string, number>;
}

const mib = (b: number) => (b / 1024 / 1024).toFixed(1);

/** Every target the run missed, in words; empty when all are met. */
export function missedTargets(r: SecurityReport): string[] {
  return [
    ...r.rows.filter((row) => row.tried === 0 || row.asExpected !== row.tried).map((row) => `${row.what}: ${row.asExpected} of ${row.tried} as expected`),
    ...(r.unexpectedAnswers.length ? [`${r.unexpectedAnswers.length} answers nobody asked for, or sessions that did not go on`] : []),
    ...(r.crashes.length ? [`${r.crashes.length} crashes: ${r.crashes.join('; ')}`] : []),
    ...(r.takenOut.length ? [`${r.takenOut.length} times a worker was taken out of HAProxy (sessions cut): ${r.takenOut.slice(0, 3).join(' | ')}`] : []),
    ...(r.wellBehaved.errors.length || r.wellBehaved.calls === 0 ? [`well-behaved session: ${r.wellBehaved.errors.length} errors in ${r.wellBehaved.calls} calls`] : []),
    ...(r.backlogGrowthBytes > r.backlogBoundBytes ? [`worker memory grew ${mib(r.backlogGrowthBytes)} MiB while clients did not read (bound ${mib(r.backlogBoundBytes)} MiB)`] : []),
    ...(r.forgedIdentity.believed || !r.forgedIdentity.realLogged ? [`forged PROXY headers: ${r.forgedIdentity.believed} log lines believed them, ${r.forgedIdentity.realLogged} named the real address`] : []),
    ...(r.idle.opened < r.idle.target || r.idle.sessionsSeen < r.idle.opened ? [`idle connections: ${r.idle.opened} of ${r.idle.target} opened, ${r.idle.sessionsSeen} sessions seen`] : []),
    ...(r.secrets === undefined ? ['the secrets check did not run'] : r.secrets.found.map((o) => `${o.secret} found ${o.count}x in ${o.source}`)),
  ];
}

export function renderReport(r: SecurityReport): string {
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  const total = r.rows.reduce((a, row) => ({ tried: a.tried + row.tried, ok: a.ok + row.asExpected }), { tried: 0, ok: 0 });
  const missed = missedTargets(r);
  const lines = [
    `Bad input through HAProxy: profile ${r.profile}, seed ${r.seed}, ${r.workers} workers, ${r.durationSeconds.toFixed(0)} s`,
    `  (${Object.entries(r.phaseSeconds)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(', ')})`,
    '',
    `  ${'input / abuse'.padEnd(32)}${pad('tried', 8)}${pad('as expected', 13)}${pad('rate-limited', 14)}`,
    ...r.rows.map((row) => `  ${row.what.padEnd(32)}${pad(row.tried, 8)}${pad(row.asExpected, 13)}${pad(row.rateLimited ?? '', 14)}`),
    `  ${'total'.padEnd(32)}${pad(total.tried, 8)}${pad(total.ok, 13)}`,
    '',
    `  ${'crashes (workers exited or restarted)'.padEnd(44)}${pad(r.crashes.length, 8)}   target 0`,
    `  ${'workers taken out of HAProxy (sessions cut)'.padEnd(44)}${pad(r.takenOut.length, 8)}   target 0`,
    `  ${'answers nobody asked for'.padEnd(44)}${pad(r.unexpectedAnswers.length, 8)}   target 0`,
    ...(r.skipped.batches ? [`  ${'fuzz connections not run (time budget)'.padEnd(44)}${pad(r.skipped.batches, 8)}   of ${r.skipped.of}`] : []),
    `  ${`well-behaved session errors (${r.wellBehaved.calls} calls)`.padEnd(44)}${pad(r.wellBehaved.errors.length, 8)}   target 0`,
    `  ${'log lines naming a forged client identity'.padEnd(44)}${pad(r.forgedIdentity.believed, 8)}   target 0 (${r.forgedIdentity.realLogged} name the real address)`,
    `  ${`idle connections held (of ${r.idle.target})`.padEnd(44)}${pad(r.idle.opened, 8)}   ${r.idle.sessionsSeen} sessions seen by the workers${r.idle.note ? `; ${r.idle.note}` : ''}`,
    `  ${'worker RSS growth while clients do not read'.padEnd(44)}${pad(mib(r.backlogGrowthBytes), 8)}   MiB, bound ${mib(r.backlogBoundBytes)} MiB`,
    ...r.memory.map((m) => `  ${`RSS ${m.worker} before / peak / after, MiB`.padEnd(44)}${pad(mib(m.beforeBytes), 8)} / ${mib(m.peakBytes)} / ${mib(m.afterBytes)}`),
    `  ${`secrets found (${r.secrets?.secrets ?? 0} secrets, ${r.secrets?.sources ?? 0} places)`.padEnd(44)}${pad(r.secrets ? r.secrets.found.reduce((n, o) => n + o.count, 0) : '-', 8)}   target 0`,
    '',
    missed.length ? `targets MISSED:\n${missed.map((m) => `  - ${m}`).join('\n')}` : 'targets: all met',
  ];
  return lines.join('\n') + '\n';
}

/** Writes report.json and report.txt under `dir`; returns the text. */
export function writeReport(r: SecurityReport, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const text = renderReport(r);
  writeFileSync(path.join(dir, 'report.json'), JSON.stringify({ ...r, missed: missedTargets(r) }, null, 2) + '\n');
  writeFileSync(path.join(dir, 'report.txt'), text);
  return text;
}
