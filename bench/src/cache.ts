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
import { int, runScript, type Parsed } from './args.js';
import { LineClient } from './lineClient.js';
import { freePort } from './ports.js';
import { nextReadCall } from './readMix.js';
import { startBenchRedis } from './redisProc.js';
import { ROOT, startSim, startWorkers, stopWorkers, type BenchSim, type BenchWorker } from './services.js';
import { percentiles, sumMetric } from './stats.js';

const OPTIONS = {
  workers: int(2, 1, 16, 'worker processes sharing one Redis'),
  identical: int(1000, 1, 20000, 'sessions sending the same cold get_courses at once'),
  sessions: int(100, 1, 5000, 'sessions of the mixed read workload'),
  calls: int(20, 1, 1000, 'calls per session of the mixed read workload'),
  'latency-ms': int(50, 0, 5000, "moodle-sim's added latency, ms"),
  'timeout-s': int(180, 10, 3600, 'time limit of the whole run, seconds'),
};

async function main(o: Parsed<typeof OPTIONS>): Promise<void> {
  const deadline = Date.now() + o['timeout-s'] * 1000;
  const remaining = () => Math.max(1000, deadline - Date.now());
  const redis = await startBenchRedis(ROOT, await freePort());
  let sim: BenchSim | undefined;
  let workers: BenchWorker[] = [];
  const clients: LineClient[] = [];
  try {
    sim = await startSim({ latencyMs: o['latency-ms'] });
    workers = await startWorkers(o.workers, { simUrl: sim.url, redis });
    const metrics = async () => (await Promise.all(workers.map(async (w) => w.metrics()))).join('\n');
    const simStats = sim.stats;
    const resetSim = sim.resetStats;
    process.stderr.write(`stack: ${o.workers} workers, 1 redis-server (maxmemory + allkeys-lru), moodle-sim with ${o['latency-ms']} ms latency\n`);

    // 1. Identical cold calls, all at once, spread round-robin over the workers.
    process.stderr.write(`scenario 1: opening ${o.identical} sessions\n`);
    for (let i = 0; i < o.identical; i += 200) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(200, o.identical - i) }, (_, j) => LineClient.connect('127.0.0.1', workers[(i + j) % workers.length].mcpPort)),
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
    const moodle1 = (await simStats()).byFunction.core_enrol_get_users_courses ?? 0;
    const p1 = percentiles(lat);
    clients.splice(0).forEach((c) => c.close());

    // 2. Mixed reads.
    process.stderr.write(`scenario 2: ${o.sessions} sessions x ${o.calls} calls of a weighted read mix\n`);
    const mixed = await Promise.all(Array.from({ length: o.sessions }, (_, i) => LineClient.connect('127.0.0.1', workers[i % workers.length].mcpPort)));
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
          const [name, args] = nextReadCall();
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
    await Promise.all([stopWorkers(workers), sim?.stop()]);
    await redis.stop();
  }
}

runScript(
  'cache benchmark',
  'cache.js',
  'Identical cold calls coalesced across workers sharing Redis, and the hit ratio of a mixed read workload.',
  OPTIONS,
  main,
);
