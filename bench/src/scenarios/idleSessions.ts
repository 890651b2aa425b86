/**
 * Scenario 4, idle sessions: C clients connect (500 at a time), each
 * initializes and calls get_courses once, then all stay open and silent
 * while the memory of the server side is read: every process behind HAProxy
 * (the stack: its workers and Redis; the old way: socat and every process it
 * forked; the echo server), and HAProxy's own share apart. Per session =
 * (memory with the sessions open - memory before) / sessions open, on
 * systems started afresh for each size. A size is skipped, with the reason,
 * when the machine cannot hold it (open-file limit, HAProxy's connection
 * limit, free memory).
 */
import { closeAll, openSessions } from '../load.js';
import { availableMemoryBytes, memoryBytes, openFilesLimit, steadyMemory } from '../proc.js';
import { GET_COURSES } from '../readMix.js';
import { SYSTEMS, SYSTEM_LABEL, type RunningSystem } from '../systems.js';
import { comparisonTable, type Table } from '../table.js';
import {
  eachSystem,
  errorKindNotes,
  failureNotes,
  levelValues,
  OLD_WAY_SAMPLE,
  sampleFor,
  type Ctx,
  type Levels,
  type PerSystem,
  type Scenario,
} from './context.js';

/** HAProxy's VIP connection limit (HAPROXY_MCP_MAXCONN's default in haproxy.cfg). */
const HAPROXY_MCP_MAXCONN = 7900;
/**
 * Sessions connecting at a time: scenario 1 measures clients arriving all at
 * once; here the sessions are only being held, so they open in waves.
 */
const OPENING_AT_ONCE = 500;
/** What one session may cost on the whole machine at most (load generator, HAProxy, server), bytes: a generous bound. */
const BYTES_PER_SESSION_BOUND = 1024 * 1024;

export interface IdleResult {
  requested: number;
  sessions: number;
  opened: number;
  errors: number;
  errorKinds: Record<string, number>;
  processes: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** Null when no session could be opened. */
  rssPerSessionBytes: number | null;
  pssPerSessionBytes: number | null;
  haproxyRssPerSessionBytes: number | null;
}

/** Why `count` idle sessions cannot be held on this machine, or undefined when they can. */
export function cannotHold(count: number): string | undefined {
  const files = openFilesLimit();
  // The load generator holds one descriptor per session, a worker one per session of its own.
  if (files < count + 1000) return `the open-file limit (ulimit -n ${files}) is below ${count + 1000}`;
  if (count > HAPROXY_MCP_MAXCONN) return `HAProxy's VIP takes at most ${HAPROXY_MCP_MAXCONN} connections`;
  const free = availableMemoryBytes();
  if (free < count * BYTES_PER_SESSION_BOUND) return `only ${(free / 2 ** 30).toFixed(1)} GiB of memory is available`;
  return undefined;
}

/** Opens `count` sessions on `system` (the old way: a sample), each initialize + get_courses, and reads the memory they hold. */
async function holdIdle(ctx: Ctx, system: RunningSystem, count: number): Promise<IdleResult> {
  const haproxyPid = ctx.env.haproxy.pid;
  const n = sampleFor(system, count);
  // startSystem warmed the system up: start-up costs are not billed to sessions.
  const before = await steadyMemory(system.pids, 3_000);
  const haproxyBefore = memoryBytes([haproxyPid]).rss;
  const set = await openSessions(ctx.env.haproxy.port, n, {
    timeoutMs: ctx.sizes.setupTimeoutMs,
    label: `${SYSTEM_LABEL[system.name]}, ${n} idle sessions`,
    firstCall: GET_COURSES,
    concurrency: Math.min(OPENING_AT_ONCE, system.openAtOnce ?? Infinity),
  });
  try {
    const after = await steadyMemory(system.pids);
    const open = set.opened;
    const per = (bytes: number) => (open ? Math.round(bytes / open) : null);
    return {
      requested: count,
      sessions: n,
      opened: open,
      errors: set.errors.count,
      errorKinds: set.errors.toJSON(),
      processes: after.processes,
      rssBeforeBytes: before.rss,
      rssAfterBytes: after.rss,
      rssPerSessionBytes: per(after.rss - before.rss),
      pssPerSessionBytes: per(after.pss - before.pss),
      haproxyRssPerSessionBytes: per(memoryBytes([haproxyPid]).rss - haproxyBefore),
    };
  } finally {
    closeAll(set.clients);
  }
}

export const idleSessionsScenario: Scenario = {
  id: 4,
  title: 'Idle sessions: memory per open session',
  async run(ctx) {
    const skipped = new Map<number, string>();
    for (const count of ctx.sizes.idle) {
      const why = cannotHold(count);
      if (why) skipped.set(count, why);
    }
    const counts = ctx.sizes.idle.filter((c) => !skipped.has(c));
    // Each size on freshly started (and warmed-up) systems, so that no size inherits a heap grown by
    // the one before. The old way's memory per session does not depend on the count: it is measured
    // once, on a sample.
    const bySize: Record<string, PerSystem<IdleResult>> = {};
    for (const [i, count] of counts.entries())
      bySize[count] = await eachSystem(ctx, (system) => holdIdle(ctx, system, count), { systems: i === 0 ? SYSTEMS : SYSTEMS.filter((s) => s !== 'old') });
    const results: PerSystem<Levels<IdleResult>> = Object.fromEntries(
      SYSTEMS.map((s) => [s, Object.fromEntries(counts.filter((c) => bySize[c][s]).map((c) => [c, bySize[c][s]!]))]),
    );
    const kb = (b: number | null) => (b === null ? null : Math.round((b / 1024) * 10) / 10);
    const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
    const tables: Table[] = counts.map((count) => {
      const v = (get: (r: IdleResult) => number | string | null) => levelValues(results, count, get);
      return comparisonTable(`${count.toLocaleString('en-US')} idle sessions (opened at most ${OPENING_AT_ONCE} at a time, each initialize + get_courses)`, [
        { name: 'sessions open', values: v((r) => r.opened), ratio: false },
        { name: 'errors', values: v((r) => r.errors), ratio: false },
        { name: 'RSS per idle session, KB', values: v((r) => kb(r.rssPerSessionBytes)) },
        { name: 'PSS per idle session, KB', values: v((r) => kb(r.pssPerSessionBytes)) },
        { name: 'server RSS before → with the sessions, MB', values: v((r) => `${mb(r.rssBeforeBytes)} → ${mb(r.rssAfterBytes)}`), ratio: false },
        { name: 'server processes with the sessions open', values: v((r) => r.processes), ratio: false },
        { name: "HAProxy's RSS per session, KB", values: v((r) => kb(r.haproxyRssPerSessionBytes)), ratio: false },
      ]);
    });
    const oldSample = counts.length ? Math.min(counts[0], OLD_WAY_SAMPLE, ctx.env.oldMaxProcs) : 0;
    const notes = [
      'RSS counts pages shared between processes (the Node binary of every forked worker) once per process; PSS splits them between the processes that share them.',
      ...(oldSample && oldSample < counts[0]
        ? [`The old way held ${oldSample} sessions (one process each), for the first size only: its memory per session does not depend on how many there are.`]
        : []),
      ...[...skipped].map(([count, why]) => `${count.toLocaleString('en-US')} idle sessions: not run, ${why}.`),
      ...errorKindNotes(results, (count) => `${Number(count).toLocaleString('en-US')} sessions`),
      ...failureNotes(results, (count) => `${Number(count).toLocaleString('en-US')} sessions`),
    ];
    return { tables, notes, data: { skipped: Object.fromEntries(skipped), results } };
  },
};
