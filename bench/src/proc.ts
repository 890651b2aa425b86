import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';

/**
 * The benchmark's child processes: every one is tracked from spawn to exit so
 * that a failure, an exception or Ctrl-C stops them all (`stopAll`,
 * `stopChildrenOnSignals`), and a last-resort SIGKILL goes to whatever is
 * left when this process exits.
 */
const running = new Set<ChildProcess>();
/** Children started as process-group leaders: stopping one signals its whole group (socat and its forks). */
const groups = new WeakSet<ChildProcess>();

process.on('exit', () => {
  for (const child of running) kill(child, 'SIGKILL');
});

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (groups.has(child) && child.pid) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}

export interface StartOptions {
  /** Added to this process's environment (after `unset` is applied). */
  env?: Record<string, string>;
  /** Inherited variables to drop, by name prefix (e.g. an operator's MOODLE_ or REDIS_ settings). */
  unset?: string[];
  /** File that receives the child's stdout and stderr (appended); without it they are discarded. */
  log?: string;
  /** Start it as the leader of a new process group, so `stop` reaches every process it forks. */
  group?: boolean;
}

/** Spawns a tracked child. */
export function startProcess(command: string, args: string[], opts: StartOptions = {}): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const prefix of opts.unset ?? []) for (const k of Object.keys(env)) if (k.startsWith(prefix)) delete env[k];
  Object.assign(env, opts.env);
  const fd = opts.log ? openSync(opts.log, 'a') : undefined;
  const spawnOpts: SpawnOptions = { env, stdio: ['ignore', fd ?? 'ignore', fd ?? 'ignore'], detached: opts.group === true };
  const child = spawn(command, args, spawnOpts);
  if (fd !== undefined) closeSync(fd);
  running.add(child);
  if (opts.group) groups.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  return child;
}

/** Starts a Node script, tracked. */
export function startNode(script: string, args: string[], env: Record<string, string>, opts: Omit<StartOptions, 'env'> = {}): ChildProcess {
  return startProcess(process.execPath, [script, ...args], { ...opts, env });
}

/** SIGTERM (to the group for group leaders), SIGKILL after `graceMs`; resolves when it has exited. */
export function stop(child: ChildProcess, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return resolve();
    const timer = setTimeout(() => kill(child, 'SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      // A group leader's forks may outlive it by a moment; nothing of the group may stay.
      if (groups.has(child)) kill(child, 'SIGKILL');
      resolve();
    });
    kill(child, 'SIGTERM');
  });
}

/** Stops every tracked child. */
export async function stopAll(graceMs = 5_000): Promise<void> {
  await Promise.all([...running].map((c) => stop(c, graceMs)));
}

/**
 * On SIGINT or SIGTERM: calls `onSignal` (so the caller can abandon its work
 * and still write what it has), stops every child, and exits 130 / 143 if the
 * caller has not finished within `graceMs`. A second signal exits at once.
 */
export function stopChildrenOnSignals(onSignal: (signal: NodeJS.Signals) => void, graceMs = 20_000): void {
  let seen = false;
  const handler = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (seen) {
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(code);
    }
    seen = true;
    process.stderr.write(`\n${signal}: stopping every process this benchmark started\n`);
    onSignal(signal);
    void stopAll(3_000);
    setTimeout(() => process.exit(code), graceMs).unref();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/**
 * True when something listens on TCP `port` (from /proc/net/tcp, without
 * connecting: a probe connection to socat would fork a worker).
 */
export function listening(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    // "  sl  local_address rem_address   st ..."; state 0A is LISTEN.
    if (
      text.split('\n').some(
        (l) =>
          l
            .trim()
            .split(/\s+/)[1]
            ?.endsWith(':' + hex) && l.trim().split(/\s+/)[3] === '0A',
      )
    )
      return true;
  }
  return false;
}

/** Resident set size of a process, in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/**
 * Memory of a set of processes, in bytes: RSS (what the issue asks for; counts
 * shared pages once per process) and PSS (shared pages split between their
 * users: the fairer sum for many forks of one binary). Processes that exited
 * in the meantime count 0.
 */
export function memoryBytes(pids: number[]): { rss: number; pss: number; processes: number } {
  let rss = 0;
  let pss = 0;
  let processes = 0;
  for (const pid of pids) {
    try {
      const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024;
      pss += Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024;
      processes++;
    } catch {
      // exited
    }
  }
  return { rss, pss, processes };
}

/**
 * Memory of `pids()` once it has stopped moving: samples every 500 ms until
 * two samples agree within 1 % of RSS (or `maxMs` passes).
 */
export async function steadyMemory(pids: () => number[], maxMs = 10_000): Promise<{ rss: number; pss: number; processes: number }> {
  let m = memoryBytes(pids());
  for (const end = Date.now() + maxMs; Date.now() < end;) {
    await sleep(500);
    const next = memoryBytes(pids());
    const settled = Math.abs(next.rss - m.rss) <= 0.01 * m.rss;
    m = next;
    if (settled) break;
  }
  return m;
}

/**
 * The fields of /proc/<pid>/stat after the command name (index 0 is field 3,
 * the state; 1 the parent's pid; 11 and 12 utime and stime), or undefined
 * when the process has gone.
 */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** `pid` and all its descendants (Linux /proc). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(name);
    if (!fields) continue; // exited while listing
    const ppid = Number(fields[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

/** This process's soft limit of open files (children inherit it). */
export function openFilesLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

/** Memory the kernel says can be given to new work without swapping, bytes. */
export function availableMemoryBytes(): number {
  return Number(/^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) * 1024;
}

/**
 * CPU time (user + system) the processes `pids` have used so far, ms; a
 * process that has gone counts 0. /proc counts in USER_HZ ticks, which Linux
 * fixes at 100 per second for user space.
 */
export function processCpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    if (fields) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10;
}

/** Machine-wide CPU time counters (jiffies) from /proc/stat: busy and total. */
export function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((s, v) => s + v, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** Share of the machine's CPU time that was busy between two `cpuTimes()` readings, 0-1. */
export function cpuBusy(before: { busy: number; total: number }, after = cpuTimes()): number {
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}

/**
 * Polls `check` every 50 ms until it is true or `timeoutMs` passes (a check
 * that throws counts as false). `giveUp` is asked first each time: a message
 * from it ends the wait at once with that error.
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, giveUp?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = giveUp?.();
    if (why) throw new Error(why);
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

/** Waits until `child` is up per `check`; fails at once (naming `what` and its log) if it exits first. */
export async function startedWhen(what: string, child: ChildProcess, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, log?: string): Promise<void> {
  const where = log ? ` (see ${log})` : '';
  const exited = () =>
    child.exitCode !== null || child.signalCode !== null ? `${what} exited with ${child.exitCode ?? child.signalCode} before it was ready${where}` : undefined;
  await until(what, check, timeoutMs, exited).catch((err: Error) => {
    throw /^timed out/.test(err.message) ? new Error(err.message + where) : err;
  });
}
