/**
 * What the suite watches on the native stack while it abuses it: the pid of
 * every process (a crash shows as a dead or replaced pid and as a restart in
 * the supervisor's log) and the workers' resident memory, from /proc.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { processRuns, type NativeStack } from '../helpers/nativeStack.js';

/** Resident set size of a process in bytes (Linux /proc); 0 when it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The pid of every process of the run (`worker-1`, `haproxy`, ...), from its pid file. */
export function pidsByName(stack: NativeStack, names: string[]): Map<string, number> {
  return new Map(names.filter((n) => existsSync(path.join(stack.runDir, `${n}.pid`))).map((n) => [n, Number(readFileSync(path.join(stack.runDir, `${n}.pid`), 'utf8').trim())]));
}

/** Lines of the supervisor's log that record a worker death: a restart, or giving up on it. */
export function supervisorRestarts(stack: NativeStack): string[] {
  const log = path.join(stack.runDir, 'logs', 'supervisor.log');
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => /is not running; restarting|keeps exiting/.test(l));
}

/**
 * HAProxy's log lines where a worker left service during the run (its
 * health check failed, or the proxy put it in maintenance): with
 * `on-marked-down shutdown-sessions` every session on it is cut, so abuse
 * that makes a worker too slow to answer its checks hurts every teacher on it.
 */
export function workersTakenOut(stack: NativeStack): string[] {
  const log = path.join(stack.runDir, 'logs', 'haproxy.log');
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => /^Server workers\/worker-\d+ (is DOWN|is going DOWN)/.test(l))
    .map((l) => l.slice(0, 240));
}

/** Every process of `before` that no longer runs or was replaced, and every restart the supervisor logged. */
export function crashes(stack: NativeStack, before: Map<string, number>): string[] {
  const now = pidsByName(stack, [...before.keys()]);
  const gone = [...before].filter(([name, pid]) => now.get(name) !== pid || !processRuns(pid)).map(([name, pid]) => `${name} (pid ${pid}) exited or was replaced (now ${now.get(name) ?? 'none'})`);
  return [...gone, ...supervisorRestarts(stack)];
}

/** Samples the workers' RSS every `everyMs` until stopped; keeps the highest sum and per-worker peaks. */
export class RssSampler {
  readonly peak = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: number[], everyMs = 100) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): Map<number, number> {
    const now = new Map(this.pids.map((p) => [p, rssBytes(p)]));
    for (const [p, v] of now) this.peak.set(p, Math.max(this.peak.get(p) ?? 0, v));
    return now;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
