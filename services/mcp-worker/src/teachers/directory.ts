/**
 * The worker's copy of the teacher registry: every enrolled teacher in memory
 * (a tool call looks its teacher up without any I/O), kept in step by the
 * registry's change channel, re-read whole whenever a change may have been
 * missed (the subscription restarting) and every REFRESH_MS as a last guard.
 * While the registry is unreachable the last copy keeps serving.
 */
import type { Logger } from '@moodle-mcp/common';
import type { Teacher, TeacherRegistry } from './registry.js';

/** Why a teacher's sessions must end. */
export type GoneReason = 'revoked' | 'disabled';

const REFRESH_MS = 30_000;
/** How often last-seen times and open sessions per teacher are written to the registry. */
const REPORT_MS = 5_000;

export interface DirectoryOptions {
  registry: TeacherRegistry;
  logger: Logger;
  workerId: string;
  /** Every token learnt is added here (the logger redacts them). */
  secrets: Set<string>;
  /** A teacher was removed or disabled: close their sessions. */
  onGone: (name: string, reason: GoneReason) => void;
  /** Open sessions per teacher on this worker, for `make teacher-list`. */
  sessionsByTeacher: () => Map<string, number>;
}

export class TeacherDirectory {
  private readonly teachers = new Map<string, Teacher>();
  private loadedOnce = false;
  private readonly seen = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  /** Reads in progress, so a burst of notices re-reads once. */
  private reloading?: Promise<void>;
  private again = false;

  constructor(private readonly opts: DirectoryOptions) {}

  /** True once the registry has been read at least once. */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  get size(): number {
    return this.teachers.size;
  }

  /** Subscribes, reads every teacher (waits up to `waitMs` for the registry), then keeps in step. */
  async start(waitMs: number): Promise<void> {
    await this.opts.registry.subscribe((name) => void (name === null ? this.reloadAll() : this.reloadOne(name)));
    if (await this.opts.registry.ready(waitMs)) await this.reloadAll();
    else this.opts.logger.error('the teacher registry is not reachable; no teacher can call a tool until it is', { waitedMs: waitMs });
    this.timers.push(
      setInterval(() => void this.reloadAll(), REFRESH_MS),
      setInterval(() => void this.report(), REPORT_MS),
    );
    for (const t of this.timers) t.unref();
  }

  get(name: string): Teacher | undefined {
    return this.teachers.get(name);
  }

  /** A tool call of `name` now (written to the registry with the next report). */
  touch(name: string): void {
    this.seen.set(name, Date.now());
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.report();
    await this.opts.registry.reportPresence(this.opts.workerId, new Map(), 1).catch(() => undefined);
  }

  private async reloadOne(name: string): Promise<void> {
    try {
      const r = await this.opts.registry.read(name);
      this.apply(name, r?.ok ? r.teacher : undefined, r && !r.ok ? r.problem : undefined);
    } catch (err) {
      this.opts.logger.warn('teacher registry read failed; re-reading everything when it answers', { teacher: name, error: (err as Error).message });
      setTimeout(() => void this.reloadAll(), 1000).unref();
    }
  }

  private reloadAll(): Promise<void> {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.again = false;
        try {
          const results = await this.opts.registry.readAll();
          const present = new Set<string>();
          for (const r of results) {
            const name = r.ok ? r.teacher.name : r.name;
            present.add(name);
            this.apply(name, r.ok ? r.teacher : undefined, r.ok ? undefined : r.problem);
          }
          for (const name of [...this.teachers.keys()]) if (!present.has(name)) this.apply(name, undefined);
          if (!this.loadedOnce) this.opts.logger.info('teacher registry loaded', { teachers: this.teachers.size });
          this.loadedOnce = true;
        } catch (err) {
          this.opts.logger.warn('teacher registry not readable; keeping the last copy', { teachers: this.teachers.size, error: (err as Error).message });
        }
      } while (this.again);
    })().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private apply(name: string, next: Teacher | undefined, problem?: string): void {
    const before = this.teachers.get(name);
    if (problem) this.opts.logger.error('teacher record unusable; treated as not enrolled', { teacher: name, problem });
    if (next) {
      this.opts.secrets.add(next.token);
      this.teachers.set(name, next);
    } else this.teachers.delete(name);
    if (before && !before.disabled && (!next || next.disabled)) {
      const reason: GoneReason = next ? 'disabled' : 'revoked';
      this.opts.logger.info(`teacher ${reason}; closing their sessions`, { teacher: name });
      this.opts.onGone(name, reason);
    } else if (!before && next) this.opts.logger.debug('teacher enrolled', { teacher: name });
  }

  private async report(): Promise<void> {
    const seen = new Map(this.seen);
    this.seen.clear();
    try {
      await this.opts.registry.markSeen(seen);
      await this.opts.registry.reportPresence(this.opts.workerId, this.opts.sessionsByTeacher(), 3 * REPORT_MS);
    } catch {
      for (const [n, t] of seen) if (!this.seen.has(n)) this.seen.set(n, t);
    }
  }
}
