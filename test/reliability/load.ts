import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import path from 'node:path';
import { RpcCodes } from '@moodle-mcp/common';
import { ROOT } from '../helpers/nativeStack.js';

/**
 * Steady load for the fault scenarios: S teachers, each the MCP SDK's Client
 * launching mcp-connect (the project's reconnecting bridge) to the VIP, each
 * calling reads in a loop and, every `writeEvery` calls, a grade for its own
 * student, so that what Moodle ends up holding can be checked write by write.
 * Bounded: every loop stops at `maxCalls` per teacher or when stopped.
 */
export interface Outcome {
  attempted: number;
  ok: number;
  /** Failed calls by the first words of their message. */
  failed: Map<string, number>;
  /** Writes answered "may or may not have been applied". */
  uncertainWrites: number;
}

export interface Teacher {
  userId: number;
  /** Writes in order: feedback marker and how each ended. */
  writes: { marker: string; result: 'ok' | 'failed' | 'uncertain' }[];
}

const READS: [string, (t: Teacher) => Record<string, unknown>][] = [
  ['get_courses', () => ({ perPage: 5 })],
  ['list_students', () => ({ courseId: 2, limit: 20 })],
  ['get_assignments', () => ({ courseId: 2 })],
  ['get_submissions', (t) => ({ assignmentId: 1, userId: t.userId })],
];

export class Load {
  readonly teachers: Teacher[] = [];
  private clients: Client[] = [];
  private running: Promise<void>[] = [];
  private stopped = false;
  private outcome: Outcome = fresh();
  /** Time of the last failed call (ms since epoch), for recovery times. */
  lastFailureAt = 0;

  constructor(
    private readonly vip: string,
    private readonly sessions: number,
    private readonly opts: { writeEvery: number; maxCalls: number; firstUserId: number },
  ) {}

  async start(): Promise<void> {
    for (let i = 0; i < this.sessions; i++) {
      const transport = new StdioClientTransport({ command: 'node', args: [path.join(ROOT, 'services/mcp-connect/dist/main.js'), this.vip, '--give-up-after', '30'], stderr: 'ignore' });
      const client = new Client({ name: `teacher-${i}`, version: '1.0.0' });
      await client.connect(transport);
      this.clients.push(client);
      const teacher: Teacher = { userId: this.opts.firstUserId + i, writes: [] };
      this.teachers.push(teacher);
    }
    this.running = this.clients.map((c, i) => this.loop(c, this.teachers[i]!));
  }

  /** The figures since the last call, and a fresh count from now on. */
  take(): Outcome {
    const o = this.outcome;
    this.outcome = fresh();
    return o;
  }

  get calls(): number {
    return this.outcome.attempted;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
    await Promise.all(this.clients.map((c) => c.close().catch(() => undefined)));
  }

  private async loop(client: Client, teacher: Teacher): Promise<void> {
    for (let n = 1; n <= this.opts.maxCalls && !this.stopped; n++) {
      const write = n % this.opts.writeEvery === 0;
      const marker = `t${teacher.userId}-w${teacher.writes.length + 1}`;
      const [name, args] = write ? ['provide_assignment_feedback', { assignmentId: 1, userId: teacher.userId, grade: teacher.writes.length % 100, feedback: marker }] : [READS[n % READS.length]![0], READS[n % READS.length]![1](teacher)];
      this.outcome.attempted++;
      try {
        const r = await client.callTool({ name, arguments: args as Record<string, unknown> }, undefined, { timeout: 30_000 });
        if (r.isError) throw new Error(String((r.content as { text?: string }[])[0]?.text ?? 'tool error'));
        this.outcome.ok++;
        if (write) teacher.writes.push({ marker, result: 'ok' });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        // MAYBE_APPLIED from mcp-connect (in flight when the connection dropped), or the worker's own word (a write that timed out).
        const uncertain = (err instanceof McpError && err.code === RpcCodes.MAYBE_APPLIED) || (write && /may or may not have been applied/.test(message));
        if (write) teacher.writes.push({ marker, result: uncertain ? 'uncertain' : 'failed' });
        if (uncertain) this.outcome.uncertainWrites++;
        else {
          const why = message.replace(/^MCP error -?\d+: /, '').split(/ \(|; |\. /)[0]!.slice(0, 70);
          this.outcome.failed.set(why, (this.outcome.failed.get(why) ?? 0) + 1);
          this.lastFailureAt = Date.now();
        }
      }
    }
  }
}

function fresh(): Outcome {
  return { attempted: 0, ok: 0, failed: new Map(), uncertainWrites: 0 };
}

/**
 * No write lost or doubled: for every teacher, Moodle's feedback is the one of
 * its last write that reported success, or of a later write whose outcome was
 * uncertain (in flight when a worker died); never one of a write that failed
 * before it was sent. And Moodle saw no more save_grade calls than were made.
 */
export function checkWrites(teachers: Teacher[], grades: { assignmentid: number; userid: number; feedback?: string }[], saveGradeCalls: number): string[] {
  const problems: string[] = [];
  let attempts = 0;
  for (const t of teachers) {
    attempts += t.writes.length;
    const lastOk = t.writes.map((w) => w.result).lastIndexOf('ok');
    if (lastOk < 0) continue;
    const allowed = t.writes.slice(lastOk).filter((w, i) => i === 0 || w.result === 'uncertain').map((w) => w.marker);
    const stored = grades.filter((g) => g.assignmentid === 1 && g.userid === t.userId).map((g) => g.feedback ?? '');
    const latest = stored.at(-1) ?? '';
    if (!allowed.some((m) => latest.includes(m))) problems.push(`student ${t.userId}: Moodle holds "${latest.slice(0, 40)}", expected one of ${allowed.join(', ')}`);
  }
  if (saveGradeCalls > attempts) problems.push(`Moodle received ${saveGradeCalls} save_grade calls for ${attempts} writes: some were repeated`);
  return problems;
}
