/**
 * What the teachers CLI prints: views of teachers that hold no secret by
 * construction (fields are picked, a Teacher is never spread), tables for
 * people, JSON for scripts, and one writer that replaces every secret it
 * was told of with [redacted] as a last line of defence.
 */
import type { ReadResult, TeacherRecord } from './registry.js';

/** A teacher as printed: no token, ever. */
export type TeacherView =
  | {
      name: string;
      ok: true;
      moodleUser: { id: number; username: string; fullname: string };
      readOnly: boolean;
      /** null: every course Moodle lets them see. */
      courses: number[] | null;
      disabled: boolean;
      missingFunctions: string[];
      createdAt: string;
      updatedAt: string;
      /** ISO time of their last tool call, null if none yet. */
      lastSeen: string | null;
      /** Open sessions over every worker that reported recently. */
      sessions: number;
    }
  | { name: string; ok: false; problem: string; lastSeen: string | null; sessions: number };

const iso = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

export function teacherView(r: ReadResult, seen: Map<string, number>, presence: Map<string, number>): TeacherView {
  const name = r.ok ? r.teacher.name : r.name;
  const activity = { lastSeen: iso(seen.get(name)), sessions: presence.get(name) ?? 0 };
  if (!r.ok) return { name, ok: false, problem: r.problem, ...activity };
  return { name, ok: true, ...recordFields(r.teacher), ...activity };
}

function recordFields(t: TeacherRecord) {
  return {
    moodleUser: { id: t.moodleUserId, username: t.moodleUsername, fullname: t.moodleFullname },
    readOnly: t.readOnly,
    courses: t.courses,
    disabled: t.disabled,
    missingFunctions: t.missingFunctions,
    createdAt: new Date(t.createdAt).toISOString(),
    updatedAt: new Date(t.updatedAt).toISOString(),
  };
}

export function flagsText(f: { readOnly: boolean; courses: number[] | null; disabled: boolean }): string {
  return [
    f.disabled ? 'DISABLED' : null,
    f.readOnly ? 'read-only' : 'read-write',
    f.courses === null ? 'all courses' : `courses ${f.courses.join(',') || '(none)'}`,
  ]
    .filter(Boolean)
    .join(', ');
}

export const moodleUserText = (u: { id: number; username: string; fullname: string }) => `${u.id} ${u.username}${u.fullname ? ` (${u.fullname})` : ''}`;

/** "2026-01-02 10:11 UTC (5 min ago)", or "never". */
export function whenText(isoTime: string | null, now: number): string {
  if (!isoTime) return 'never';
  const t = Date.parse(isoTime);
  const s = Math.max(0, Math.round((now - t) / 1000));
  const ago =
    s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : s < 172_800 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86_400)} days ago`;
  return `${isoTime.slice(0, 16).replace('T', ' ')} UTC (${ago})`;
}

/** Rows as columns two spaces apart; the last column is not padded. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export function listLines(views: TeacherView[], keyId: string, now: number): string[] {
  if (views.length === 0) return [`no teachers in the registry (key id ${keyId}); add one: moodle-mcp-teachers add NAME`];
  const ok = views.filter((v) => v.ok);
  const bad = views.filter((v) => !v.ok);
  const lines = [`${views.length} teacher${views.length === 1 ? '' : 's'} (registry key id ${keyId})`, ''];
  lines.push(
    ...table(
      ['NAME', 'MOODLE USER', 'FLAGS', 'LAST SEEN', 'SESSIONS'],
      views.map((v) =>
        v.ok
          ? [v.name, moodleUserText(v.moodleUser), flagsText(v), whenText(v.lastSeen, now), String(v.sessions)]
          : [v.name, '?', 'PROBLEM (below)', whenText(v.lastSeen, now), String(v.sessions)],
      ),
    ).map((l) => `  ${l}`),
  );
  const lacking = ok.filter((v) => v.ok && v.missingFunctions.length > 0);
  if (lacking.length) lines.push('', `  ${lacking.map((v) => v.name).join(', ')}: the token's service lacks functions some tools need (show NAME lists them)`);
  if (bad.length) {
    lines.push('', 'Problems (these teachers are refused until fixed; `add NAME --force` stores a new token):');
    for (const v of bad) if (!v.ok) lines.push(`  ${v.name}: ${v.problem}`);
  }
  return lines;
}

export function showLines(v: TeacherView, now: number): string[] {
  if (!v.ok)
    return [
      `${v.name}: PROBLEM: ${v.problem}`,
      `  last seen: ${whenText(v.lastSeen, now)}; open sessions: ${v.sessions}`,
      '  `add NAME --force` stores a new token for them',
    ];
  return [
    `${v.name}`,
    `  Moodle user:   ${moodleUserText(v.moodleUser)}`,
    `  flags:         ${flagsText(v)}`,
    `  missing:       ${v.missingFunctions.length ? v.missingFunctions.join(', ') : "none (the token's service holds every function the tools call)"}`,
    `  last seen:     ${whenText(v.lastSeen, now)}`,
    `  open sessions: ${v.sessions}`,
    `  enrolled:      ${v.createdAt}; changed ${v.updatedAt}`,
  ];
}

/**
 * stdout for results, stderr for warnings, prompts and errors. Every string
 * goes through the redaction of the secrets this run has seen (tokens,
 * passwords, the registry's password and key).
 */
export class Output {
  private readonly secrets: string[] = [];

  constructor(
    private readonly stdout: NodeJS.WritableStream,
    private readonly stderr: NodeJS.WritableStream,
  ) {}

  /** Values never to print; ones shorter than 4 characters would redact ordinary words. */
  addSecret(...values: (string | undefined)[]): void {
    for (const v of values) if (v && v.length >= 4 && !this.secrets.includes(v)) this.secrets.push(v);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  }

  lines(lines: string[]): void {
    for (const l of lines) this.stdout.write(this.redact(l) + '\n');
  }

  json(value: unknown): void {
    this.stdout.write(this.redact(JSON.stringify(value, null, 2)) + '\n');
  }

  warn(text: string): void {
    this.stderr.write(this.redact(`warning: ${text}`) + '\n');
  }

  /** `text` as one error; `prefixed`: after the program's name (a ConfigError names it already). */
  error(text: string, prefixed = true): void {
    this.stderr.write(this.redact(prefixed ? `moodle-mcp-teachers: ${text}` : text) + '\n');
  }

  /** Where hidden prompts are written: stderr, so stdout stays the result. */
  get prompts(): NodeJS.WritableStream {
    return this.stderr;
  }
}
