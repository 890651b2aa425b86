/**
 * What the scenarios measure with: sessions opened once and reused, the
 * stack's cache filled, bounded throughput runs, and their table rows.
 */
import type { LineClient } from '../lineClient.js';
import { answerFailure, closeAll, openSessions, runCalls, type CallStats } from '../load.js';
import { everyReadCall, type Call } from '../readMix.js';
import { SYSTEM_LABEL, type RunningSystem } from '../systems.js';
import type { Metric } from '../table.js';
import { levelValues, medianRun, sessionsFor, type Ctx, type Levels, type PerSystem } from './context.js';

/** Calls every distinct read of the mix once on `client`, so the shared cache holds them all. */
export async function fillCache(client: LineClient, calls: Call[] = everyReadCall()): Promise<void> {
  for (const [name, args] of calls) {
    const why = answerFailure(await client.request('tools/call', { name, arguments: args }));
    if (why) throw new Error(`filling the cache: ${name} ${JSON.stringify(args)}: ${why}`);
  }
}

/**
 * Opens `count` sessions (fewer on the old way: its cap; and a few at a time
 * there, see RunningSystem.openAtOnce), fills the stack's cache (unless
 * `fill` is false), runs `fn`, then closes them and clears the system.
 * Throws when not every session could be set up.
 */
export async function withSessions<T>(
  ctx: Ctx,
  system: RunningSystem,
  count: number,
  fn: (clients: LineClient[], sessions: number) => Promise<T>,
  fill = true,
): Promise<T> {
  const n = sessionsFor(system, count);
  const set = await openSessions(ctx.env.haproxy.port, n, {
    timeoutMs: ctx.sizes.setupTimeoutMs,
    label: `${SYSTEM_LABEL[system.name]}, ${n} sessions`,
    concurrency: system.openAtOnce,
  });
  try {
    if (set.opened < n) throw new Error(`only ${set.opened} of ${n} sessions could be set up: ${JSON.stringify(set.errors.toJSON())}`);
    if (fill && system.name === 'stack') await fillCache(set.clients[0]);
    return await fn(set.clients, n);
  } finally {
    closeAll(set.clients);
    await system.clear().catch(() => undefined);
  }
}

/** The processes whose CPU time per call a throughput run on `system` reports, in the order its tables show them. */
export const CPU_GROUPS = ['servers', 'HAProxy', 'load generator', 'Redis', 'moodle-sim'] as const;

function cpuGroups(ctx: Ctx, system: RunningSystem): Record<(typeof CPU_GROUPS)[number], number[]> {
  const { haproxy, redis, sim } = ctx.env;
  return {
    servers: system.pids().filter((pid) => pid !== redis.pid),
    HAProxy: [haproxy.pid],
    'load generator': [process.pid],
    Redis: [redis.pid],
    'moodle-sim': sim.proc.pid === undefined ? [] : [sim.proc.pid],
  };
}

/**
 * A bounded closed-loop run of `next` on every client of `system`, with the
 * CPU time per call of each process group. With `repeat`, it runs
 * Sizes.repeats times and gives the run with the median calls/s (the others'
 * calls/s in `repeatsCallsPerSecond`): on a shared machine one run can be
 * off by a third.
 */
export async function throughput(
  ctx: Ctx,
  system: RunningSystem,
  clients: LineClient[],
  next: () => Call,
  label: string,
  opts: { pipeline?: number; repeat?: boolean } = {},
): Promise<CallStats> {
  const pipeline = opts.pipeline ?? 1;
  const perSession = Math.max(1, Math.ceil(ctx.sizes.runCalls / (clients.length * pipeline)) * pipeline);
  const plan = { perSession, pipeline, durationMs: ctx.sizes.runMs, timeoutMs: ctx.sizes.callTimeoutMs, next, cpuOf: cpuGroups(ctx, system) };
  const rate = (r: CallStats) => r.callsPerSecond;
  const { median, runs } = await medianRun(ctx, opts.repeat ? ctx.sizes.repeats : 1, label, (l) => runCalls(clients, plan, l), rate);
  return runs.length === 1 ? median : { ...median, repeatsCallsPerSecond: runs.map(rate) };
}

/** Rows of one throughput run at one level: calls/s, latency percentiles, errors. */
export function throughputMetrics<T>(
  results: PerSystem<Levels<T>>,
  level: number,
  what: string,
  get: (r: T) => CallStats | undefined,
  percentilesToShow: ('p50' | 'p95' | 'p99' | 'max')[] = ['p50', 'p95', 'p99', 'max'],
): Metric[] {
  const v = (f: (s: CallStats) => number | undefined) =>
    levelValues(results, level, (r) => {
      const s = get(r);
      return s ? f(s) : 'not run';
    });
  return [
    { name: `${what}: calls/s`, values: v((s) => s.callsPerSecond) },
    ...percentilesToShow.map((p): Metric => ({ name: `${what}: ${p}, ms`, values: v((s) => s.latencyMs?.[p]) })),
    { name: `${what}: errors`, values: v((s) => s.errors), ratio: false },
  ];
}
