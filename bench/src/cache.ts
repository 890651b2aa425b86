#!/usr/bin/env node
/**
 * Cache scenario (issue: shared Redis response cache). Two or more worker
 * processes share one redis-server (the stack's redis.conf); moodle-sim
 * answers with a realistic latency and counts what reaches "Moodle".
 *
 * 1. Coalescing: C sessions spread over the workers send the same cold
 *    get_courses call at once → Moodle requests counted by the simulator.
 * 2. Mixed reads: S sessions × K calls of a weighted mix of read tools over
 *    the seeded courses → cache hit ratio (workers' mcp_cache_lookups_total)
 *    and the Moodle requests saved.
 *
 * Usage: node bench/dist/cache.js [--workers 2] [--identical 1000] [--sessions 100] [--calls 20] [--latency-ms 50]
 * Bounded in count and time (--timeout-s, default 180); always stops what it started.
 */
import path from 'node:path';
import { LineClient } from './lineClient.js';
import { freePort, httpOk, startNode, stop, until } from './proc.js';
import { startBenchRedis } from './redisProc.js';
import { percentiles, sumMetric } from './stats.js';

const ROOT = path.resolve(__dirname, '../..');
const OPTIONS = {
  workers: [2, 1, 16],
  identical: [1000, 1, 20000],
  sessions: [100, 1, 5000],
  calls: [20, 1, 1000],
  'latency-ms': [50, 0, 5000],
  'timeout-s': [180, 10, 3600],
} as const;
type Opt = keyof typeof OPTIONS;

function parseArgs(argv: string[]): Record<Opt, number> {
  const out = Object.fromEntries(Object.entries(OPTIONS).map(([k, v]) => [k, v[0]])) as Record<Opt, number>;
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '') as Opt;
    if (!(key in OPTIONS))
      throw new Error(
        `unknown option ${argv[i]}; options: ${Object.keys(OPTIONS)
          .map((k) => '--' + k)
          .join(' ')}`,
      );
    const [, min, max] = OPTIONS[key];
    const v = Number(argv[i + 1]);
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${key} needs a whole number from ${min} to ${max}`);
    out[key] = v;
  }
  return out;
}

/** The mix of read tools a teacher's assistant sends, by weight, over the seeded data set. */
// The demo teacher teaches courses 2-5 (assignments 1-11); course 6 would answer "not enrolled".
const COURSES = [2, 3, 4, 5];
const ASSIGNMENTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const MIX: [number, () => [string, Record<string, unknown>]][] = [
  [20, () => ['get_courses', {}]],
  [15, () => ['list_students', { courseId: pick(COURSES) }]],
  [15, () => ['get_assignments', { courseId: pick(COURSES) }]],
  [15, () => ['get_submissions', { assignmentId: pick(ASSIGNMENTS) }]],
  [10, () => ['get_quizzes', { courseId: pick(COURSES) }]],
  [10, () => ['get_grades', { courseId: pick(COURSES) }]],
  [5, () => ['get_course_contents', { courseId: pick(COURSES) }]],
  [5, () => ['get_upcoming_deadlines', {}]],
  [5, () => ['get_forum_discussions', { courseId: pick(COURSES) }]],
];
const TOTAL_WEIGHT = MIX.reduce((s, [w]) => s + w, 0);
function pick<T>(xs: T[]): T {
  return xs[Math.floor(Math.random() * xs.length)];
}
function nextCall(): [string, Record<string, unknown>] {
  let r = Math.random() * TOTAL_WEIGHT;
  for (const [w, make] of MIX) if ((r -= w) < 0) return make();
  return MIX[0][1]();
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const deadline = Date.now() + o['timeout-s'] * 1000;
  const remaining = () => Math.max(1000, deadline - Date.now());
  const simPort = await freePort();
  const simUrl = `http://127.0.0.1:${simPort}`;
  const redis = await startBenchRedis(ROOT, await freePort());
  const sim = startNode(path.join(ROOT, 'services/moodle-sim/dist/main.js'), [], {
    SIM_PORT: String(simPort),
    SIM_LATENCY_MS: String(o['latency-ms']),
    LOG_LEVEL: 'warn',
  });
  const { DEMO_TOKEN } = require(path.join(ROOT, 'services/moodle-sim/dist/index.js')) as { DEMO_TOKEN: string };
  const workers: { mcp: number; http: number; proc: ReturnType<typeof startNode> }[] = [];
  const clients: LineClient[] = [];
  try {
    await until('moodle-sim', () => httpOk(`${simUrl}/health`));
    for (let i = 1; i <= o.workers; i++) {
      const mcp = await freePort();
      const http = await freePort();
      const proc = startNode(path.join(ROOT, 'services/mcp-worker/dist/main.js'), [], {
        MOODLE_URL: simUrl,
        MOODLE_TOKEN: DEMO_TOKEN,
        MOODLE_DEMO: 'true',
        MCP_HOST: '127.0.0.1',
        MCP_PORT: String(mcp),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(http),
        WORKER_ID: `bench-worker-${i}`,
        REDIS_URL: redis.url,
        REDIS_PASSWORD: redis.password,
        LOG_LEVEL: 'warn',
      });
      workers.push({ mcp, http, proc });
    }
    for (const w of workers) await until(`worker on ${w.mcp} /ready`, () => httpOk(`http://127.0.0.1:${w.http}/ready`));
    const metrics = async () => (await Promise.all(workers.map(async (w) => (await fetch(`http://127.0.0.1:${w.http}/metrics`)).text()))).join('\n');
    const simStats = async () => (await (await fetch(`${simUrl}/__sim/stats`)).json()) as { total: number; byFunction: Record<string, number> };
    const resetSim = () => fetch(`${simUrl}/__sim/stats/reset`, { method: 'POST' });
    process.stderr.write(`stack: ${o.workers} workers, 1 redis-server (maxmemory + allkeys-lru), moodle-sim with ${o['latency-ms']} ms latency\n`);

    // 1. Identical cold calls, all at once, spread round-robin over the workers.
    process.stderr.write(`scenario 1: opening ${o.identical} sessions\n`);
    for (let i = 0; i < o.identical; i += 200) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(200, o.identical - i) }, (_, j) => LineClient.connect('127.0.0.1', workers[(i + j) % workers.length].mcp)),
      );
      await Promise.all(batch.map((c) => c.initialize()));
      clients.push(...batch);
    }
    await resetSim();
    const t0 = Date.now();
    const lat: number[] = [];
    let errors1 = 0;
    await Promise.all(
      clients.map(async (c) => {
        const s = Date.now();
        const r = await c.request('tools/call', { name: 'get_courses', arguments: {} }, remaining()).catch(() => undefined);
        if (!r || r.error || r.result?.isError) errors1++;
        else lat.push(Date.now() - s);
      }),
    );
    const wall1 = (Date.now() - t0) / 1000;
    const moodle1 = (await simStats()).byFunction.core_course_get_courses ?? 0;
    const p1 = percentiles(lat);
    clients.splice(0).forEach((c) => c.close());

    // 2. Mixed reads.
    process.stderr.write(`scenario 2: ${o.sessions} sessions x ${o.calls} calls of a weighted read mix\n`);
    const mixed = await Promise.all(Array.from({ length: o.sessions }, (_, i) => LineClient.connect('127.0.0.1', workers[i % workers.length].mcp)));
    clients.push(...mixed);
    await Promise.all(mixed.map((c) => c.initialize()));
    await resetSim();
    const before = await metrics();
    const t1 = Date.now();
    let calls2 = 0;
    let errors2 = 0;
    const errorKinds2 = new Map<string, number>();
    const lat2: number[] = [];
    await Promise.all(
      mixed.map(async (c) => {
        for (let k = 0; k < o.calls && Date.now() < deadline; k++) {
          const [name, args] = nextCall();
          const s = Date.now();
          const r = await c.request('tools/call', { name, arguments: args }, remaining()).catch(() => undefined);
          calls2++;
          if (!r || r.error || r.result?.isError) {
            errors2++;
            const why = `${name}: ${String(r?.error?.message ?? r?.result?.content?.[0]?.text ?? 'no answer').slice(0, 100)}`;
            errorKinds2.set(why, (errorKinds2.get(why) ?? 0) + 1);
          } else lat2.push(Date.now() - s);
        }
      }),
    );
    const wall2 = (Date.now() - t1) / 1000;
    const after = await metrics();
    const delta = (result: string) => sumMetric(after, 'mcp_cache_lookups_total', { result }) - sumMetric(before, 'mcp_cache_lookups_total', { result });
    const hits = delta('hit');
    const misses = delta('miss');
    const stale = delta('stale');
    const bypass = delta('bypass');
    const lookups = hits + misses + stale + bypass;
    const moodle2 = (await simStats()).total;
    const p2 = percentiles(lat2);
    const result = {
      machine: `${require('node:os').cpus().length} cores, Node ${process.version}`,
      workers: o.workers,
      moodleLatencyMs: o['latency-ms'],
      identical: { calls: o.identical, errors: errors1, moodleRequests: moodle1, wallSeconds: wall1, latencyMs: p1 },
      mixed: {
        sessions: o.sessions,
        calls: calls2,
        errors: errors2,
        cacheLookups: lookups,
        hits,
        misses,
        stale,
        bypass,
        hitRatio: lookups ? hits / lookups : 0,
        moodleRequests: moodle2,
        moodleRequestsSaved: lookups - moodle2,
        wallSeconds: wall2,
        latencyMs: p2,
      },
    };
    const pct = (x: number) => (100 * x).toFixed(1) + ' %';
    console.log(
      [
        `| scenario | figure |`,
        `|---|---|`,
        `| 1. ${o.identical} identical cold get_courses at once over ${o.workers} workers | ${moodle1} Moodle request(s), ${errors1} errors, p50 ${p1.p50} ms, p99 ${p1.p99} ms, ${wall1.toFixed(2)} s |`,
        `| 2. mixed reads: ${calls2} calls (${o.sessions} sessions) | hit ratio ${pct(result.mixed.hitRatio)} (${hits} hits / ${lookups} lookups), ${moodle2} Moodle requests for ${lookups} Moodle-bound lookups: ${lookups - moodle2} saved (${pct(lookups ? (lookups - moodle2) / lookups : 0)}), ${errors2} errors, p50 ${p2.p50} ms, p99 ${p2.p99} ms |`,
      ].join('\n'),
    );
    console.log(JSON.stringify(result));
    for (const [why, n] of errorKinds2) console.error(`error x${n}: ${why}`);
    if (errors1 + errors2 > 0) process.exitCode = 1;
  } finally {
    clients.forEach((c) => c.close());
    await Promise.all([...workers.map((w) => stop(w.proc)), stop(sim)]);
    await redis.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`cache benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
