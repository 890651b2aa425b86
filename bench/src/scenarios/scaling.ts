/**
 * Scenario 5, scaling: cached get_courses calls per second from C sessions
 * with 1, 2 and 4 workers, beside the old way and the echo limit at the same
 * concurrency. On a 2-core machine the load generator, HAProxy, Redis and
 * the workers share both cores, so the curve flattens once they are busy:
 * the machine's CPU use is printed with each figure so the table shows why.
 */
import os from 'node:os';
import type { CallStats } from '../load.js';
import { GET_COURSES } from '../readMix.js';
import { SYSTEM_LABEL, type RunningSystem } from '../systems.js';
import { fmt, ratio, type Table } from '../table.js';
import { throughput, withSessions } from './measure.js';
import { eachSystem, errorKindNotes, failureNotes, isFailure, type Ctx, type PerSystem, type Scenario } from './context.js';

export interface ScalingResult {
  sessions: number;
  calls: CallStats;
}

function measure(ctx: Ctx) {
  return (system: RunningSystem) =>
    withSessions(ctx, system, ctx.sizes.scalingAt, async (clients, sessions) => ({
      sessions,
      calls: await throughput(ctx, system, clients, () => GET_COURSES, `${SYSTEM_LABEL[system.name]}, ${sessions} sessions, get_courses`, { repeat: true }),
    }));
}

export const scalingScenario: Scenario = {
  id: 5,
  title: 'Scaling: calls per second by worker count',
  async run(ctx) {
    const stack: Record<string, PerSystem<ScalingResult>> = {};
    for (const workers of ctx.sizes.scalingWorkers) stack[workers] = await eachSystem(ctx, measure(ctx), { systems: ['stack'], workers });
    // The old way and the echo limit at the same concurrency: scenario 2's runs when it ran (the same
    // measurement; the old way's sessions cost a process each to set up), else measured here.
    const shared = ctx.shared.cachedGetCourses ?? {};
    const reused = (['old', 'echo'] as const).filter((s) => shared[s]);
    const refs: PerSystem<ScalingResult> = {
      ...Object.fromEntries(reused.map((s) => [s, { sessions: shared[s]!.sessions, calls: shared[s]! }])),
      ...(await eachSystem(ctx, measure(ctx), { systems: (['old', 'echo'] as const).filter((s) => !shared[s]) })),
    };
    const callsPerSecond = (r: ScalingResult | { error: string } | undefined) => (r && !isFailure(r) ? r.calls.callsPerSecond : undefined);
    const row = (label: string, r: ScalingResult | { error: string } | undefined): string[] => {
      if (!r) return [label, 'not run', '', '', '', '', '', '', ''];
      if (isFailure(r)) return [label, 'failed', '', '', '', '', '', '', ''];
      const c = r.calls;
      return [
        label,
        fmt(c.callsPerSecond),
        fmt(c.latencyMs?.p50),
        fmt(c.latencyMs?.p99),
        fmt(c.errors),
        fmt(Math.round(c.cpuBusy * 100)),
        fmt(c.cpuPerCallUs?.servers),
        ratio(c.callsPerSecond, callsPerSecond(refs.old)),
        ratio(c.callsPerSecond, callsPerSecond(refs.echo)),
      ];
    };
    const table: Table = {
      title: `${ctx.sizes.scalingAt} concurrent sessions, cached get_courses, one call outstanding each`,
      columns: ['', 'calls/s', 'p50, ms', 'p99, ms', 'errors', 'machine CPU busy, %', "servers' CPU per call, µs", '÷ old way', '÷ echo limit'],
      rows: [
        ...ctx.sizes.scalingWorkers.map((w) => row(`stack, ${w} worker${w === 1 ? '' : 's'}`, stack[w].stack)),
        row(SYSTEM_LABEL.old, refs.old),
        row(SYSTEM_LABEL.echo, refs.echo),
      ],
    };
    const runs = ctx.sizes.scalingWorkers
      .map((w) => [w, stack[w]?.stack] as const)
      .filter((p): p is readonly [number, ScalingResult] => !!p[1] && !isFailure(p[1]) && !!p[1].calls.repeatsCallsPerSecond)
      .map(([w, r]) => `${w} worker${w === 1 ? '' : 's'} ${r.calls.repeatsCallsPerSecond!.map((v) => v.toLocaleString('en-US')).join(' / ')}`);
    const notes = [flatteningNote(ctx, stack)];
    if (runs.length) notes.push(`The stack's calls/s in each of its ${ctx.sizes.repeats} runs (the median one is in the table): ${runs.join('; ')}.`);
    if (reused.length) notes.push(`${reused.map((s) => SYSTEM_LABEL[s]).join(' and ')}: the get_courses run of scenario 2 at the same concurrency.`);
    for (const [w, r] of Object.entries(stack)) notes.push(...errorKindNotes(r, () => `${w} workers`), ...failureNotes(r).map((n) => `${w} workers: ${n}`));
    notes.push(...errorKindNotes(refs), ...failureNotes(refs));
    return { tables: [table], notes, data: { stack, references: refs } };
  },
};

/** Says in words where the curve flattens or falls: the gain from each step in workers, and how busy the CPU was. */
export function flatteningNote(ctx: Ctx, stack: Record<string, PerSystem<ScalingResult>>): string {
  const points = ctx.sizes.scalingWorkers.map((w) => ({ w, r: stack[w]?.stack })).filter((p): p is { w: number; r: ScalingResult } => !!p.r && !isFailure(p.r));
  if (points.length < 2) return 'Too few worker counts measured to say how the stack scales.';
  const steps = points.slice(1).map((p, i) => `${points[i].w} → ${p.w} workers: × ${ratio(p.r.calls.callsPerSecond, points[i].r.calls.callsPerSecond)}`);
  const busiest = points.reduce((a, b) => (b.r.calls.cpuBusy > a.r.calls.cpuBusy ? b : a));
  const best = points.reduce((a, b) => (b.r.calls.callsPerSecond > a.r.calls.callsPerSecond ? b : a));
  const gains = points.slice(1).map((p, i) => p.r.calls.callsPerSecond / points[i].r.calls.callsPerSecond);
  const cores = `this machine has ${os.cpus().length} cores and its CPU was up to ${Math.round(busiest.r.calls.cpuBusy * 100)} % busy (load generator, HAProxy, Redis and workers together)`;
  const plural = (w: number) => `${w} worker${w === 1 ? '' : 's'}`;
  if (gains.every((g) => g >= 0.85 && g < 1.15))
    return `${steps.join('; ')}. The curve is flat (every step within ±15 %, about what runs differ by): ${cores}, so added workers only share the same cores.`;
  if (gains.every((g) => g >= 0.95)) return `${steps.join('; ')}. The stack gained from added workers (${cores}).`;
  if (best === points[0])
    return `${steps.join('; ')}. Throughput is highest with ${plural(best.w)} and falls with more: ${cores}, so added workers only share the same cores and add switching between processes.`;
  return `${steps.join('; ')}. Throughput is highest with ${plural(best.w)}: ${cores}, so beyond that added workers only share the same cores.`;
}
