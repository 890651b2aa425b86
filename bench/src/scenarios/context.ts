/**
 * What the five scenarios share: their sizes (full and --quick), the run's
 * context, and `eachSystem`, which measures the same thing on each system in
 * turn and records a failure instead of throwing it.
 */
import type { CallStats } from '../load.js';
import { cpuBusy, cpuTimes, sleep } from '../proc.js';
import { say } from '../progress.js';
import { SYSTEMS, SYSTEM_LABEL, withSystem, type BenchEnv, type RunningSystem, type SystemName } from '../systems.js';
import type { Cell, Table } from '../table.js';

export interface Sizes {
  /** 1: clients connecting at once. */
  setup: number[];
  /** 2: concurrent sessions of the cached-read runs. */
  cached: number[];
  /** 2: the pipelined run: at this concurrency, this many calls outstanding per session. */
  pipelinedAt: number;
  pipelineDepth: number;
  /** 2 and 5: length of each throughput run, ms, and its most calls in all. */
  runMs: number;
  runCalls: number;
  /** 2 and 5: the cached get_courses runs are made this many times; the median one counts. */
  repeats: number;
  /** 3: cold calls one at a time, and identical cold calls at once. */
  coldCalls: number;
  identical: number;
  /** 4: idle sessions held open. */
  idle: number[];
  /** 5: worker counts, and the concurrency of their runs. */
  scalingWorkers: number[];
  scalingAt: number;
  /** Longest a set of sessions may take to set up (the MCP SDK client's own request timeout is 60 s), ms. */
  setupTimeoutMs: number;
  /** Longest wait for one call's answer, ms. */
  callTimeoutMs: number;
  /** Calls that warm up a freshly started stack or echo server (BenchEnv.warmUpCalls). */
  warmUpCalls: number;
  /** Longest wait, before each system is measured, for the machine's CPU to fall below SETTLED_BUSY (what the previous system left running: the old way's processes exiting, sockets closing), ms. */
  settleMs: number;
}

export const FULL: Sizes = {
  setup: [50, 1000],
  cached: [1, 50, 200],
  pipelinedAt: 50,
  pipelineDepth: 8,
  runMs: 4_000,
  runCalls: 200_000,
  repeats: 3,
  coldCalls: 20,
  identical: 1000,
  idle: [1000, 5000],
  scalingWorkers: [1, 2, 4],
  scalingAt: 50,
  setupTimeoutMs: 60_000,
  callTimeoutMs: 30_000,
  warmUpCalls: 3_000,
  settleMs: 20_000,
};

/**
 * Small enough for CI (a few seconds per scenario, the old way's process
 * starts dominating); every code path runs, with the old way over its cap
 * (4 with --quick) in scenarios 3 and 4.
 */
export const QUICK: Sizes = {
  setup: [1, 3],
  cached: [1, 3],
  pipelinedAt: 3,
  pipelineDepth: 4,
  runMs: 300,
  runCalls: 1_500,
  repeats: 3,
  coldCalls: 3,
  identical: 6,
  idle: [10],
  scalingWorkers: [1, 2],
  scalingAt: 3,
  setupTimeoutMs: 30_000,
  callTimeoutMs: 10_000,
  warmUpCalls: 100,
  settleMs: 2_000,
};

export interface Ctx {
  env: BenchEnv;
  sizes: Sizes;
  /** The stack's worker count outside scenario 5. */
  workers: number;
  /** moodle-sim's latency for cold reads, ms. */
  latencyMs: number;
  /** True once Ctrl-C was pressed: stop starting new work. */
  aborted(): boolean;
  /** Figures one scenario measured that a later one reuses instead of measuring again. */
  shared: {
    /** Scenario 2: cached get_courses at Sizes.scalingAt sessions, per system (scenario 5's references). */
    cachedGetCourses?: Partial<Record<SystemName, CallStats>>;
  };
  /** How settled the machine was before each system of the current scenario (see settle). */
  settled: Settled[];
}

/** Before a system was measured: how long the benchmark waited, and how busy the CPU was when it went on. */
export interface Settled {
  system: string;
  waitedS: number;
  cpuBusy: number;
}

/** The machine counts as settled below this share of busy CPU. */
export const SETTLED_BUSY = 0.3;

/**
 * Waits (at most Sizes.settleMs) until the machine's CPU, over half a second,
 * is less than SETTLED_BUSY busy, so one system's leftovers do not weigh on
 * the next one's figures; records how long and how busy in ctx.settled.
 */
async function settle(ctx: Ctx, system: string): Promise<void> {
  const started = Date.now();
  let busy = 1;
  do {
    const before = cpuTimes();
    await sleep(500);
    busy = cpuBusy(before);
  } while (busy >= SETTLED_BUSY && Date.now() - started < ctx.sizes.settleMs && !ctx.aborted());
  const waitedS = Math.round((Date.now() - started) / 100) / 10;
  ctx.settled.push({ system, waitedS, cpuBusy: Math.round(busy * 100) / 100 });
  if (busy >= SETTLED_BUSY) say(`  the CPU is still ${Math.round(busy * 100)} % busy after ${waitedS} s; measuring anyway`);
}

/**
 * Runs `once` `times` times (after Ctrl-C no further run starts; there is
 * always one), labelled "(run i of n)" when there are several, and returns
 * every run and the median one by `key` (of an even count, the lower).
 */
export async function medianRun<T>(
  ctx: Ctx,
  times: number,
  label: string,
  once: (label: string) => Promise<T>,
  key: (r: T) => number,
): Promise<{ median: T; runs: T[] }> {
  const runs: T[] = [];
  for (let i = 1; i <= times && (i === 1 || !ctx.aborted()); i++) runs.push(await once(times > 1 ? `${label} (run ${i} of ${times})` : label));
  const median = [...runs].sort((a, b) => key(a) - key(b))[Math.floor((runs.length - 1) / 2)];
  return { median, runs };
}

export interface ScenarioOutcome {
  tables: Table[];
  notes: string[];
  data: Record<string, unknown>;
}

export interface Scenario {
  id: number;
  title: string;
  run(ctx: Ctx): Promise<ScenarioOutcome>;
}

/** A measurement that threw, kept as its message. */
export interface Failure {
  error: string;
}
export type PerSystem<T> = Partial<Record<SystemName, T | Failure>>;

export function isFailure(v: unknown): v is Failure {
  return typeof v === 'object' && v !== null && 'error' in v && Object.keys(v).length === 1;
}

/**
 * Starts each of `systems` behind HAProxy in turn, runs `measure` on it, stops
 * it. A system that fails is recorded as a Failure and the next one still runs.
 */
export async function eachSystem<T>(
  ctx: Ctx,
  measure: (s: RunningSystem) => Promise<T>,
  opts: { systems?: readonly SystemName[]; workers?: number } = {},
): Promise<PerSystem<T>> {
  const out: PerSystem<T> = {};
  const workers = opts.workers ?? ctx.workers;
  const stackLabel = `${SYSTEM_LABEL.stack} (${workers} worker${workers === 1 ? '' : 's'})`;
  for (const name of opts.systems ?? SYSTEMS) {
    if (!ctx.aborted()) await settle(ctx, name === 'stack' ? stackLabel : SYSTEM_LABEL[name]);
    // Asked again after the wait: Ctrl-C during it starts nothing more.
    if (ctx.aborted()) {
      out[name] = { error: 'interrupted' };
      continue;
    }
    say(` ${name === 'stack' ? stackLabel : name === 'old' ? `${SYSTEM_LABEL.old} (at most ${ctx.env.oldMaxProcs} processes)` : SYSTEM_LABEL[name]}`);
    try {
      out[name] = await withSystem(ctx.env, name, workers, measure);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      say(`  ${SYSTEM_LABEL[name]} failed: ${error}`);
      out[name] = { error };
    }
  }
  return out;
}

/** One figure per system for a Metric: `get` on a result, "failed" for a Failure. */
export function valuesOf<T>(results: PerSystem<T>, get: (r: T, system: SystemName) => Cell): Partial<Record<SystemName, Cell>> {
  const out: Partial<Record<SystemName, Cell>> = {};
  for (const [name, r] of Object.entries(results) as [SystemName, T | Failure][]) out[name] = isFailure(r) ? 'failed' : get(r, name);
  return out;
}

/** Results per level (a session count, a worker count): a level that failed is kept as its Failure. */
export type Levels<T> = { [level: string]: T | Failure };

/** One figure per system at one level (or part) of its result: "not run" where it is absent, "failed" where it failed. */
export function levelValues<R extends object, K extends keyof R>(
  results: PerSystem<R>,
  level: K,
  get: (r: Exclude<R[K], Failure | undefined>) => Cell,
): Partial<Record<SystemName, Cell>> {
  return valuesOf(results, (r) => {
    const x = r[level];
    return x === undefined ? 'not run' : isFailure(x) ? 'failed' : get(x as Exclude<R[K], Failure | undefined>);
  });
}

/** The successful result at `level` (or part), if any. */
export function atLevel<R extends object, K extends keyof R>(r: R | Failure | undefined, level: K): Exclude<R[K], Failure | undefined> | undefined {
  const x = r && !isFailure(r) ? r[level] : undefined;
  return x === undefined || isFailure(x) ? undefined : (x as Exclude<R[K], Failure | undefined>);
}

/** Runs `measure`; if it throws, says so and returns the Failure instead. */
export async function attempt<T>(system: RunningSystem, what: string, measure: () => Promise<T>): Promise<T | Failure> {
  try {
    return await measure();
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    say(`  ${SYSTEM_LABEL[system.name]}, ${what}: failed: ${error}`);
    return { error };
  }
}

/** Measures each level on `system` in turn; a level that fails is kept as its Failure and the next level still runs. */
export async function eachLevel<T>(system: RunningSystem, levels: readonly number[], measure: (level: number) => Promise<T>): Promise<Levels<T>> {
  const out: Levels<T> = {};
  for (const level of levels) out[level] = await attempt(system, String(level), () => measure(level));
  return out;
}

/** "old way, 1,000 clients failed: <why>" for every failed system or level (`label` words a level). */
export function failureNotes(results: PerSystem<unknown>, label: (level: string) => string = (k) => k): string[] {
  const notes: string[] = [];
  for (const [name, r] of Object.entries(results) as [SystemName, unknown][]) {
    if (isFailure(r)) notes.push(`${SYSTEM_LABEL[name]} failed: ${r.error}`);
    else if (r && typeof r === 'object')
      for (const [level, x] of Object.entries(r)) if (isFailure(x)) notes.push(`${SYSTEM_LABEL[name]}, ${label(level)} failed: ${x.error}`);
  }
  return notes;
}

/** Sessions to open on `system` for a requested `count`: the old way is held to its process cap. */
export function sessionsFor(system: RunningSystem, count: number): number {
  return Math.min(count, system.capacity);
}

/** The old way's sample where its figure per session does not depend on the count (memory, Moodle requests): each session costs a process. */
export const OLD_WAY_SAMPLE = 20;

/** Sessions to open where the old way's figure is per session: `count`, or the old way's sample. */
export function sampleFor(system: RunningSystem, count: number): number {
  return system.name === 'old' ? Math.min(count, OLD_WAY_SAMPLE, system.capacity) : count;
}

/**
 * One note per kind of error in `results` ("old way, 1,000 clients: 412 ×
 * initialize: no answer within the time limit"): every object with
 * `errorKinds` below a system's result, labelled by the keys on the way
 * (`label` turns the first key, e.g. a session count, into words).
 */
export function errorKindNotes(results: PerSystem<unknown>, label: (key: string) => string = (k) => k): string[] {
  const notes: string[] = [];
  const walk = (system: SystemName, value: unknown, path: string[]) => {
    if (!value || typeof value !== 'object') return;
    const kinds = (value as { errorKinds?: Record<string, number> }).errorKinds;
    for (const [kind, n] of Object.entries(kinds ?? {}))
      notes.push(`${[SYSTEM_LABEL[system], ...path.map((p, i) => (i === 0 ? label(p) : p))].join(', ')}: ${n.toLocaleString('en-US')} × ${kind}`);
    for (const [k, v] of Object.entries(value)) if (k !== 'errorKinds') walk(system, v, [...path, k]);
  };
  for (const [system, r] of Object.entries(results) as [SystemName, unknown][]) if (!isFailure(r)) walk(system, r, []);
  return notes;
}
