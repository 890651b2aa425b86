/**
 * Scenario 1, session set-up: C clients connect through HAProxy at once and
 * each does the MCP handshake (initialize answered, initialized sent). The old
 * way is NOT held to its process cap here: connections beyond it wait in
 * socat's listen queue, and those still waiting when the clients give up
 * (Sizes.setupTimeoutMs) count as errors -- that is how the old way fails.
 */
import { closeAll, openSessions, type BoundedLatency, type Latency } from '../load.js';
import { SYSTEM_LABEL } from '../systems.js';
import { boundedCell, comparisonTable, type Cell, type Table } from '../table.js';
import { eachLevel, eachSystem, errorKindNotes, failureNotes, levelValues, medianRun, type Scenario } from './context.js';

export interface SetupResult {
  requested: number;
  opened: number;
  errors: number;
  errorKinds: Record<string, number>;
  /** Sessions set up only. */
  connectInitMs: Latency | null;
  /** Every client, one that gave up counting as the time it waited (percentiles listed in atLeast are lower bounds). */
  connectInitAllMs: BoundedLatency | null;
  wallSeconds: number;
  /** When the set-up was repeated (this is the run with the median p50): every run's connect+initialize p50, ms. */
  repeatsP50Ms?: number[];
}

const clients = (count: number | string) => `${Number(count).toLocaleString('en-US')} clients`;

export const setupScenario: Scenario = {
  id: 1,
  title: 'Session set-up: clients connecting at once',
  async run(ctx) {
    const results = await eachSystem(ctx, (system) =>
      eachLevel(system, ctx.sizes.setup, async (count): Promise<SetupResult> => {
        const once = async (label: string): Promise<SetupResult> => {
          const set = await openSessions(ctx.env.haproxy.port, count, { timeoutMs: ctx.sizes.setupTimeoutMs, label });
          closeAll(set.clients);
          await system.clear();
          return {
            requested: count,
            opened: set.opened,
            errors: set.errors.count,
            errorKinds: set.errors.toJSON(),
            connectInitMs: set.connectInitMs,
            connectInitAllMs: set.connectInitAllMs,
            wallSeconds: Math.round(set.wallSeconds * 100) / 100,
          };
        };
        const label = `${SYSTEM_LABEL[system.name]}, ${clients(count)}`;
        // The old way once: each of its runs takes half a minute or more, and its figures are thousands of times the others'.
        const p50 = (r: SetupResult) => r.connectInitAllMs?.p50 ?? Infinity;
        const { median, runs } = await medianRun(ctx, system.name === 'old' ? 1 : ctx.sizes.repeats, label, once, p50);
        return runs.length === 1 ? median : { ...median, repeatsP50Ms: runs.map((r) => Math.round(p50(r) * 10) / 10) };
      }),
    );
    const tables: Table[] = ctx.sizes.setup.map((count) => {
      const v = (get: (r: SetupResult) => Cell) => levelValues(results, count, get);
      return comparisonTable(`${clients(count)} connect at once, each initialize`, [
        { name: 'sessions set up', values: v((r) => r.opened) },
        { name: 'errors', values: v((r) => r.errors), ratio: false },
        { name: 'connect+initialize p50, ms', values: v((r) => boundedCell(r.connectInitAllMs, 'p50')) },
        {
          name: `connect+initialize p50 of each run (${ctx.sizes.repeats}, the median counts), ms`,
          values: v((r) => r.repeatsP50Ms?.map((ms) => ms.toLocaleString('en-US')).join(' / ') ?? 'one run'),
          ratio: false,
        },
        { name: 'connect+initialize p95, ms', values: v((r) => boundedCell(r.connectInitAllMs, 'p95')) },
        { name: 'connect+initialize p99, ms', values: v((r) => boundedCell(r.connectInitAllMs, 'p99')) },
        { name: 'connect+initialize max, ms', values: v((r) => boundedCell(r.connectInitAllMs, 'max')) },
        { name: 'all set up (or given up) after, s', values: v((r) => r.wallSeconds) },
      ]);
    });
    const notes = [
      'connect+initialize: from connect to the initialize answer, over every client; a client that gave up counts as the time it waited, and a percentile that falls on one is a lower bound (≥).',
      `The old way runs at most ${ctx.env.oldMaxProcs} worker processes at once (socat max-children; each ~90 MB and about a second of CPU to start). Clients beyond that wait in socat's listen queue and count as errors when not set up within ${ctx.sizes.setupTimeoutMs / 1000} s (the MCP SDK client's own request timeout is 60 s).`,
      ...errorKindNotes(results, clients),
      ...failureNotes(results, clients),
    ];
    return { tables, notes, data: { results } };
  },
};
