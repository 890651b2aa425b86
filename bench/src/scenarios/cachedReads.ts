/**
 * Scenario 2, cached reads: C sessions call get_courses, then a weighted mix
 * of read tools, one call outstanding per session (and, at one concurrency, a
 * pipelined run), each run bounded by Sizes.runMs and Sizes.runCalls. The
 * stack's cache is filled first (every distinct call of the mix once), so
 * its reads are Redis hits. moodle-sim answers at once (0 ms) here: the old
 * way has no response cache and goes to it for every call, which stands in
 * for the in-process cache it used to have at the cost of a loopback HTTP
 * round trip. The sessions are opened once, at the largest concurrency, and
 * each run uses the first C of them (the others stay open, idle).
 */
import type { CallStats } from '../load.js';
import { GET_COURSES, nextReadCall } from '../readMix.js';
import { SYSTEMS, SYSTEM_LABEL } from '../systems.js';
import { comparisonTable, type Table } from '../table.js';
import { atLevel, eachLevel, eachSystem, errorKindNotes, failureNotes, levelValues, type Scenario } from './context.js';
import { CPU_GROUPS, throughput, throughputMetrics, withSessions } from './measure.js';

export interface CachedResult {
  sessions: number;
  getCourses: CallStats;
  mix: CallStats;
  pipelined?: CallStats;
}

export const cachedReadsScenario: Scenario = {
  id: 2,
  title: 'Cached reads: get_courses and a mix of read tools',
  async run(ctx) {
    const { cached, pipelinedAt, pipelineDepth } = ctx.sizes;
    // One set of sessions per system, at the largest concurrency; each run uses the first C of them.
    const results = await eachSystem(ctx, (system) =>
      withSessions(ctx, system, Math.max(...cached), (all) =>
        eachLevel(system, cached, async (count): Promise<CachedResult> => {
          const clients = all.slice(0, count);
          const label = `${SYSTEM_LABEL[system.name]}, ${clients.length} sessions`;
          const getCourses = await throughput(ctx, system, clients, () => GET_COURSES, `${label}, get_courses`, { repeat: true });
          const mix = await throughput(ctx, system, clients, nextReadCall, `${label}, read mix`);
          const pipelined =
            count === pipelinedAt
              ? await throughput(ctx, system, clients, () => GET_COURSES, `${label}, get_courses pipelined`, { pipeline: pipelineDepth })
              : undefined;
          return { sessions: clients.length, getCourses, mix, pipelined };
        }),
      ),
    );
    ctx.shared.cachedGetCourses = Object.fromEntries(SYSTEMS.map((s) => [s, atLevel(results[s], ctx.sizes.scalingAt)?.getCourses]));
    const tables: Table[] = cached.map((count) =>
      comparisonTable(`${count.toLocaleString('en-US')} concurrent session${count === 1 ? '' : 's'}, one call outstanding each`, [
        ...throughputMetrics(results, count, 'get_courses', (r) => r.getCourses),
        {
          name: `get_courses: calls/s of each run (${ctx.sizes.repeats}, the median counts)`,
          values: levelValues(results, count, (r) => r.getCourses.repeatsCallsPerSecond?.map((v) => v.toLocaleString('en-US')).join(' / ') ?? 'one run'),
          ratio: false,
        },
        { name: 'get_courses: machine CPU busy, %', values: levelValues(results, count, (r) => Math.round(r.getCourses.cpuBusy * 100)), ratio: false },
        ...CPU_GROUPS.map((group) => ({
          name: `get_courses: CPU per call, µs: ${group}`,
          values: levelValues(results, count, (r) => r.getCourses.cpuPerCallUs?.[group] ?? 'not measured'),
        })),
        ...throughputMetrics(results, count, 'read mix', (r) => r.mix, ['p50', 'p99']),
        ...(count === pipelinedAt
          ? throughputMetrics(results, count, `get_courses, ${pipelineDepth} pipelined per session`, (r) => r.pipelined, ['p50', 'p99'])
          : []),
      ]),
    );
    const reduced = cached.filter((c) => c > ctx.env.oldMaxProcs);
    const notes = [
      ...(reduced.length ? [`The old way ran with ${ctx.env.oldMaxProcs} sessions where ${reduced.join(', ')} were asked for (its process cap).`] : []),
      `Each run: at most ${(ctx.sizes.runMs / 1000).toFixed(1)} s and ${ctx.sizes.runCalls.toLocaleString('en-US')} calls. The load generator, HAProxy and the servers share the machine's CPU.`,
      "CPU per call: each process group's CPU time (user + system, from /proc) during the get_courses run divided by the calls answered. Servers: the stack's workers, the old way's socat and its forked workers, the echo server. The old way goes to moodle-sim on every call (it has no shared cache); the stack answers from its cache.",
      ...errorKindNotes(results, (count) => `${count} sessions`),
      ...failureNotes(results, (count) => `${count} sessions`),
    ];
    return { tables, notes, data: { results } };
  },
};
