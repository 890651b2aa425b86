#!/usr/bin/env node
/**
 * `make bench`: the stack vs the old way (socat fork EXEC of the worker in
 * --stdio mode, one process per connection) vs the transport's limit (a
 * trivial NDJSON echo server), all behind the same HAProxy, in five
 * scenarios (see scenarios/). Writes <out>/<date>.md, .json, .svg and .png
 * (<date>-quick.* with --quick), also when a scenario fails (recorded with
 * its error) or on Ctrl-C. Progress goes to stderr; every child process is
 * stopped on the way out.
 *
 * Bounded: each scenario's sessions, calls and waits have limits, and the
 * whole run stops starting scenarios after --timeout-s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flag, int, list, runScript, str, type Parsed } from './args.js';
import { startBenchHaproxy, type BenchHaproxy } from './haproxyProc.js';
import { closeAll, openSessions } from './load.js';
import { availableMemoryBytes, stopAll, stopChildrenOnSignals } from './proc.js';
import { freePort } from './ports.js';
import { say } from './progress.js';
import { GET_COURSES } from './readMix.js';
import { startBenchRedis, type BenchRedis } from './redisProc.js';
import { describeMachine, writeResults, type BenchResults, type ScenarioRecord } from './report.js';
import { cachedReadsScenario } from './scenarios/cachedReads.js';
import { coldReadsScenario } from './scenarios/coldReads.js';
import { FULL, QUICK, SETTLED_BUSY, isFailure, type Ctx, type Scenario, type Settled } from './scenarios/context.js';
import { idleSessionsScenario } from './scenarios/idleSessions.js';
import { scalingScenario } from './scenarios/scaling.js';
import { setupScenario } from './scenarios/setup.js';
import { ROOT, startSim, type BenchSim } from './services.js';
import { withSystem, type BenchEnv } from './systems.js';
import { checkTargets, type ScenarioData } from './targets.js';

const SCENARIOS: Scenario[] = [setupScenario, cachedReadsScenario, coldReadsScenario, idleSessionsScenario, scalingScenario];

const OPTIONS = {
  quick: flag('tiny sizes (CI smoke run, well under a minute); results go to <date>-quick.*'),
  scenarios: list([1, 2, 3, 4, 5], 1, 5, 'which scenarios to run'),
  workers: int(2, 1, 8, "the stack's workers in scenarios 1-4"),
  'old-max-procs': int(0, 0, 1000, "the old way's process cap (0: 50, fewer if half the free memory cannot hold them at ~100 MB each; --quick: 4)"),
  'latency-ms': int(50, 0, 5000, "moodle-sim's latency for the cold reads of scenario 3, ms"),
  out: str(path.join(ROOT, 'bench/results'), 'directory for the results'),
  'timeout-s': int(900, 30, 7200, 'no scenario starts after this many seconds'),
};

/**
 * The old way's process cap. Each forked worker costs ~90 MB and ~0.7 s of
 * CPU to start, all at once: by default 50 (the issue's reference
 * concurrency), fewer when half the free memory does not hold them, so that
 * the benchmark never takes a shared machine down.
 */
const OLD_WAY_BYTES_PER_PROCESS = 100 * 2 ** 20;
const OLD_WAY_DEFAULT_CAP = 50;

function oldWayCap(o: Parsed<typeof OPTIONS>): number {
  if (o['old-max-procs'] > 0) return o['old-max-procs'];
  if (o.quick) return 4;
  return Math.max(4, Math.min(OLD_WAY_DEFAULT_CAP, Math.floor((availableMemoryBytes() * 0.5) / OLD_WAY_BYTES_PER_PROCESS)));
}

/** How many measurements in a scenario's data failed (kept as `{ error }`). */
function failuresIn(value: unknown): number {
  if (!value || typeof value !== 'object') return 0;
  if (isFailure(value)) return 1;
  return Object.values(value).reduce((n: number, v) => n + failuresIn(v), 0);
}

const loadavg = () => os.loadavg().map((v) => Math.round(v * 100) / 100);

/** A scenario's record before it runs: not ok until it has run without failures. */
function newRecord(scenario: Scenario): ScenarioRecord {
  return {
    id: scenario.id,
    title: scenario.title,
    ok: false,
    startedAt: new Date().toISOString(),
    seconds: 0,
    loadavg: { start: loadavg(), end: [] },
    tables: [],
    notes: [],
    data: {},
  };
}

/** Says how quiet the machine was before each system was measured. */
function settledNote(settled: Settled[], settleMs: number): string[] {
  if (!settled.length) return [];
  const each = settled.map((s) => `${s.system} ${Math.round(s.cpuBusy * 100)} %${s.waitedS > 0.6 ? ` (after ${s.waitedS} s)` : ''}`);
  return [
    `Before each system, the benchmark waited for the CPU to be under ${Math.round(SETTLED_BUSY * 100)} % busy (at most ${settleMs / 1000} s); it was: ${each.join(', ')}.`,
  ];
}

/** Size of a cached get_courses answer through the stack: the echo server answers with this many bytes. */
async function cachedAnswerBytes(env: BenchEnv, workers: number): Promise<number> {
  return withSystem(env, 'stack', workers, async () => {
    const set = await openSessions(env.haproxy.port, 1, { timeoutMs: 30_000, label: 'calibration', firstCall: GET_COURSES });
    try {
      const [client] = set.clients;
      if (!client) throw new Error(`calibration session failed: ${JSON.stringify(set.errors.toJSON())}`);
      await client.request('tools/call', { name: GET_COURSES[0], arguments: GET_COURSES[1] });
      return client.lastAnswerBytes;
    } finally {
      closeAll(set.clients);
    }
  });
}

async function main(o: Parsed<typeof OPTIONS>): Promise<void> {
  let interrupted = false;
  stopChildrenOnSignals(() => (interrupted = true));
  const sizes = o.quick ? QUICK : FULL;
  const selected = SCENARIOS.filter((s) => o.scenarios.includes(s.id));
  const startedAt = new Date();
  const deadline = Date.now() + o['timeout-s'] * 1000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const oldMaxProcs = oldWayCap(o);
  say(
    `benchmark (${o.quick ? 'quick' : 'full'}): scenarios ${selected.map((s) => s.id).join(', ')}; stack ${o.workers} workers; old way at most ${oldMaxProcs} processes; logs in ${dir}`,
  );
  say(`load average at start: ${loadavg().join(' / ')}`);

  const records: ScenarioRecord[] = [];
  let haproxy: BenchHaproxy | undefined;
  let redis: BenchRedis | undefined;
  let sim: BenchSim | undefined;
  let setupError: string | undefined;
  let echoReplyBytes = 0;
  try {
    haproxy = await startBenchHaproxy(ROOT, dir);
    redis = await startBenchRedis(ROOT, await freePort());
    sim = await startSim({ log: path.join(dir, 'moodle-sim.log') });
    const env: BenchEnv = { dir, haproxy, redis, sim, echoReplyBytes: 0, oldMaxProcs, warmUpCalls: sizes.warmUpCalls };
    env.echoReplyBytes = echoReplyBytes = await cachedAnswerBytes(env, o.workers);
    say(`HAProxy on 127.0.0.1:${haproxy.port}; a cached get_courses answer is ${echoReplyBytes} bytes (the echo server answers with as many)`);
    const ctx: Ctx = { env, sizes, workers: o.workers, latencyMs: o['latency-ms'], aborted: () => interrupted, shared: {}, settled: [] };
    for (const scenario of selected) {
      const record = newRecord(scenario);
      records.push(record);
      const t0 = Date.now();
      if (interrupted || Date.now() > deadline) {
        record.error = interrupted ? 'not run: interrupted' : `not run: the run's time limit (--timeout-s ${o['timeout-s']}) had passed`;
      } else {
        say(`scenario ${scenario.id}/${SCENARIOS.length}: ${scenario.title} (load average ${record.loadavg.start.join(' / ')})`);
        ctx.settled = [];
        try {
          Object.assign(record, await scenario.run(ctx));
          record.notes.push(...settledNote(ctx.settled, sizes.settleMs));
          const failed = failuresIn(record.data);
          record.ok = !interrupted && failed === 0;
          if (interrupted) record.error = 'interrupted';
          else if (failed) record.error = `${failed} measurement(s) failed (see the notes)`;
        } catch (err) {
          record.error = interrupted ? 'interrupted' : err instanceof Error ? err.message : String(err);
          say(`scenario ${scenario.id} failed: ${record.error}`);
        }
      }
      record.seconds = Math.round((Date.now() - t0) / 100) / 10;
      record.loadavg.end = loadavg();
    }
  } catch (err) {
    setupError = err instanceof Error ? err.message : String(err);
    say(`benchmark set-up failed: ${setupError}`);
  } finally {
    await Promise.all([haproxy?.stop(), sim?.stop(), redis?.stop()]);
    await stopAll();
  }

  for (const scenario of selected.filter((s) => !records.some((r) => r.id === s.id)))
    records.push({ ...newRecord(scenario), error: `not run: ${setupError ?? 'interrupted'}`, loadavg: { start: loadavg(), end: loadavg() } });
  const data: ScenarioData = Object.fromEntries(records.filter((r) => r.data.results).map((r) => [r.id, r.data.results]));
  const finishedAt = new Date();
  const results: BenchResults = {
    date: startedAt.toISOString().slice(0, 10),
    mode: o.quick ? 'quick' : 'full',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
    ok: !setupError && records.length === selected.length && records.every((r) => r.ok),
    interrupted,
    machine: describeMachine(),
    settings: {
      'stack workers': o.workers,
      'old way process cap': oldMaxProcs,
      'echo answer, bytes': echoReplyBytes,
      'Moodle latency for cold reads, ms': o['latency-ms'],
      ...(setupError ? { 'set-up error': setupError } : {}),
    },
    targets: checkTargets(data),
    scenarios: records,
  };
  const files = writeResults(o.out, results);
  say(`results: ${files.join(', ')}`);
  for (const t of results.targets) say(`target ${t.met === 'yes' ? 'met' : t.met === 'no' ? 'MISSED' : 'not measured'}: ${t.target}: ${t.measured}`);
  // Logs are kept for a run that failed, not for one that succeeded or was stopped on purpose.
  if (results.ok || interrupted) rmSync(dir, { recursive: true, force: true });
  else say(`logs kept in ${dir}`);
  process.stdout.write(JSON.stringify({ ok: results.ok, files }) + '\n');
  process.exit(interrupted ? 130 : results.ok ? 0 : 1);
}

runScript('benchmark', 'compare.js', 'The stack vs the old way (a process per connection) vs the echo limit, behind the same HAProxy.', OPTIONS, main);
