/**
 * Scenario 3, cold reads through Moodle: moodle-sim answers after
 * Ctx.latencyMs (a realistic Moodle), and counts the requests it gets.
 *
 * a) One cold get_courses at a time on one session (the stack's Redis is
 *    flushed before each call; the old way has no cache): the time the stack
 *    adds over a request straight to moodle-sim, which is the limit here.
 * b) C identical cold get_courses at once, from C sessions spread over the
 *    workers: how many reach Moodle (the stack coalesces them across workers
 *    through Redis; the old way's processes each ask on their own).
 */
import { performance } from 'node:perf_hooks';
import { answerFailure, latency, runCalls, type CallStats, type Latency } from '../load.js';
import { say } from '../progress.js';
import { GET_COURSES } from '../readMix.js';
import { demoToken } from '../services.js';
import type { LineClient } from '../lineClient.js';
import { SYSTEM_LABEL, type RunningSystem } from '../systems.js';
import { comparisonTable } from '../table.js';
import { withSessions } from './measure.js';
import { attempt, eachSystem, errorKindNotes, failureNotes, levelValues, OLD_WAY_SAMPLE, sampleFor, type Ctx, type Failure, type Scenario } from './context.js';

// What get_courses asks Moodle for (after who the account is: core_webservice_get_site_info, cached too).
const GET_COURSES_FN = 'core_enrol_get_users_courses';

export interface OneAtATime {
  calls: number;
  errors: number;
  latencyMs: Latency | null;
  moodleRequestsPerCall: number;
}
export interface Identical {
  sessions: number;
  moodleRequests: number;
  calls: CallStats;
}
export interface ColdResult {
  oneAtATime: OneAtATime | Failure;
  identical: Identical | Failure;
}

/** `count` get_courses requests straight to moodle-sim's REST endpoint, one at a time (keep-alive, like the worker). */
async function directMoodle(ctx: Ctx, count: number): Promise<Latency | null> {
  // The demo token's user: the demo teacher, moodle-sim's SEED.teacherId (3).
  const body = new URLSearchParams({ wstoken: demoToken(), wsfunction: GET_COURSES_FN, moodlewsrestformat: 'json', userid: '3' }).toString();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const r = await fetch(`${ctx.env.sim.url}/webservice/rest/server.php`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(ctx.sizes.callTimeoutMs),
    });
    const answer = await r.text();
    if (!r.ok || answer.includes('"exception"')) throw new Error(`moodle-sim answered ${r.status}: ${answer.slice(0, 200)}`);
    samples.push(performance.now() - t0);
  }
  return latency(samples);
}

/** `coldCalls` get_courses one after the other on `client`, each cold: the stack's Redis is flushed before each (the old way has no cache). */
async function oneAtATime(ctx: Ctx, system: RunningSystem, client: LineClient): Promise<OneAtATime> {
  const { sim, redis } = ctx.env;
  const samples: number[] = [];
  let errors = 0;
  await sim.resetStats();
  for (let i = 0; i < ctx.sizes.coldCalls; i++) {
    if (system.name === 'stack') await redis.flush();
    const t0 = performance.now();
    const answer = await client.request('tools/call', { name: GET_COURSES[0], arguments: GET_COURSES[1] }, ctx.sizes.callTimeoutMs);
    if (answerFailure(answer)) errors++;
    else samples.push(performance.now() - t0);
  }
  const requests = (await sim.stats()).byFunction[GET_COURSES_FN] ?? 0;
  return { calls: ctx.sizes.coldCalls, errors, latencyMs: latency(samples), moodleRequestsPerCall: requests / ctx.sizes.coldCalls };
}

export const coldReadsScenario: Scenario = {
  id: 3,
  title: 'Cold reads through Moodle: overhead and coalescing',
  async run(ctx) {
    const { sim, redis } = ctx.env;
    const { coldCalls, identical } = ctx.sizes;
    await sim.setLatency(ctx.latencyMs);
    try {
      say(` Moodle itself: ${coldCalls} get_courses requests straight to moodle-sim`);
      const direct = await directMoodle(ctx, coldCalls);
      // One set of sessions per system: the first does the calls one at a time, then all call at once.
      const results = await eachSystem(
        ctx,
        (system) =>
          withSessions(
            ctx,
            system,
            sampleFor(system, identical),
            async (clients, sessions): Promise<ColdResult> => ({
              oneAtATime: await attempt(system, 'one at a time', () => oneAtATime(ctx, system, clients[0])),
              identical: await attempt(system, 'identical calls', async () => {
                await redis.flush();
                await sim.resetStats();
                // Every session sends exactly one call, all at once.
                const calls = await runCalls(
                  clients,
                  { perSession: 1, pipeline: 1, durationMs: ctx.sizes.callTimeoutMs, timeoutMs: ctx.sizes.callTimeoutMs, next: () => GET_COURSES },
                  `${SYSTEM_LABEL[system.name]}, ${sessions} identical cold calls`,
                );
                return { sessions, moodleRequests: (await sim.stats()).byFunction[GET_COURSES_FN] ?? 0, calls };
              }),
            }),
            false,
          ),
        { systems: ['stack', 'old'] },
      );
      const one = (get: (r: OneAtATime) => number | undefined) => levelValues(results, 'oneAtATime', get);
      const overhead = (r: OneAtATime) => (r.latencyMs && direct ? Math.round((r.latencyMs.p50 - direct.p50) * 100) / 100 : undefined);
      const same = (get: (r: Identical) => number | undefined) => levelValues(results, 'identical', get);
      const tables = [
        comparisonTable(
          `One cold get_courses at a time (Moodle answers after ${ctx.latencyMs} ms)`,
          [
            { name: 'p50, ms', values: { ...one((r) => r.latencyMs?.p50), echo: direct?.p50 } },
            { name: 'p95, ms', values: { ...one((r) => r.latencyMs?.p95), echo: direct?.p95 } },
            { name: 'max, ms', values: { ...one((r) => r.latencyMs?.max), echo: direct?.max } },
            { name: 'added to the Moodle request (p50), ms', values: { ...one(overhead), echo: 0 }, ratio: false },
            { name: 'Moodle requests per call', values: { ...one((r) => r.moodleRequestsPerCall), echo: 1 }, ratio: false },
            { name: 'errors', values: { ...one((r) => r.errors), echo: 0 }, ratio: false },
          ],
          'Moodle itself',
        ),
        comparisonTable(
          `${identical.toLocaleString('en-US')} identical cold get_courses at once (${ctx.workers} workers for the stack)`,
          [
            { name: 'sessions', values: same((r) => r.sessions), ratio: false },
            { name: 'Moodle requests', values: { ...same((r) => r.moodleRequests), echo: 1 } },
            { name: 'errors', values: same((r) => r.calls.errors), ratio: false },
            { name: 'p50, ms', values: same((r) => r.calls.latencyMs?.p50) },
            { name: 'p99, ms', values: same((r) => r.calls.latencyMs?.p99) },
            { name: 'all answered after, s', values: same((r) => r.calls.wallSeconds) },
          ],
          'ideal',
        ),
      ];
      const oldSample = Math.min(identical, OLD_WAY_SAMPLE, ctx.env.oldMaxProcs);
      const notes = [
        `"Moodle itself": ${coldCalls} get_courses requests straight to moodle-sim's REST endpoint (keep-alive), no MCP, no cache. "ideal": one Moodle request for any number of identical calls.`,
        ...(oldSample < identical
          ? [
              `The old way ran ${oldSample} sessions (one process each) where ${identical.toLocaleString('en-US')} were asked for: each of its processes asks Moodle itself, so its count grows with the sessions.`,
            ]
          : []),
        ...errorKindNotes(results),
        ...failureNotes(results),
      ];
      return { tables, notes, data: { moodleLatencyMs: ctx.latencyMs, directMoodleMs: direct, results } };
    } finally {
      await sim.setLatency(0);
    }
  },
};
