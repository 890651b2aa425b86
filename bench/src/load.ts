/**
 * The load generator: opens C MCP sessions over TCP at once (connect +
 * initialize), then sends tool calls on each -- one outstanding per session,
 * or `pipeline` outstanding -- until a per-session count or a duration is
 * reached, whichever comes first. Measures latency percentiles, calls per
 * second, the machine's CPU use, and errors by kind. Every wait is bounded.
 */
import { performance } from 'node:perf_hooks';
import { LineClient, type Answer } from './lineClient.js';
import { cpuBusy, cpuTimes, processCpuMs } from './proc.js';
import { ticker } from './progress.js';
import type { Call } from './readMix.js';
import { percentiles } from './stats.js';

/** Failed operations counted by kind (a bounded set of short messages). */
export class ErrorTally {
  private readonly kinds = new Map<string, number>();
  count = 0;

  add(kind: string): void {
    this.count++;
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.kinds);
  }
}

/** An error message as a kind: cut at 120 characters, durations masked ("retry in 14 ms" → "retry in N ms"), so kinds stay few. */
function kind(message: string): string {
  return message.replace(/\d+(\.\d+)? ?(ms|s)\b/g, 'N $2').slice(0, 120);
}

/** A short description of a thrown error: its errno code, else its message. */
export function errorKind(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return kind(e?.code ?? (e instanceof Error ? e.message : String(err)));
}

/** Why an answer counts as a failed call, or undefined for a success. */
export function answerFailure(a: Answer): string | undefined {
  if (a.error) return kind(`JSON-RPC error ${a.error.code}: ${a.error.message}`);
  if (a.result?.isError) return kind(`tool error: ${a.result.content?.[0]?.text ?? ''}`);
  return undefined;
}

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Percentiles of samples in ms, rounded to 0.01 ms (null when there are none). */
export function latency(samplesMs: number[]): Latency | null {
  if (!samplesMs.length) return null;
  const p = percentiles(samplesMs);
  const r = (v: number) => Math.round(v * 100) / 100;
  return { p50: r(p.p50), p95: r(p.p95), p99: r(p.p99), max: r(p.max) };
}

/** Percentiles where some samples are only lower bounds (a client that gave up): those percentiles are listed in `atLeast`. */
export interface BoundedLatency extends Latency {
  atLeast: (keyof Latency)[];
}

/** Percentiles of `samples`, marking those that fall on a lower bound. */
export function boundedLatency(samples: { ms: number; bound: boolean }[]): BoundedLatency | null {
  if (!samples.length) return null;
  const sorted = [...samples].sort((a, b) => a.ms - b.ms);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const picks = { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1] };
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    p50: r(picks.p50.ms),
    p95: r(picks.p95.ms),
    p99: r(picks.p99.ms),
    max: r(picks.max.ms),
    atLeast: (Object.keys(picks) as (keyof Latency)[]).filter((k) => picks[k].bound),
  };
}

export interface SessionSet {
  requested: number;
  /** Sessions set up (and, with a first call, answered). */
  opened: number;
  clients: LineClient[];
  errors: ErrorTally;
  /** From the start of connect to the initialize answer, per session set up. */
  connectInitMs: Latency | null;
  /** The same over every session asked for, one that failed counting as the time its client waited: a lower bound. */
  connectInitAllMs: BoundedLatency | null;
  /** From the first connect to the last session set up (or failed). */
  wallSeconds: number;
}

/**
 * Opens `count` sessions through `port`: connect, initialize, then
 * `firstCall` when given -- all at once, or at most `concurrency` at a time.
 * Each session gives up after `timeoutMs` (like a client would); one that
 * fails is closed and counted by stage and kind.
 */
export async function openSessions(
  port: number,
  count: number,
  opts: { timeoutMs: number; label: string; firstCall?: Call; concurrency?: number },
): Promise<SessionSet> {
  const started = performance.now();
  const errors = new ErrorTally();
  const clients: LineClient[] = [];
  const samples: number[] = [];
  const all: { ms: number; bound: boolean }[] = [];
  let opened = 0;
  const stopTicker = ticker(() => `${opts.label}: ${opened}/${count} sessions set up, ${errors.count} failed`);
  let next = 0;
  const openOne = async () => {
    let stage = 'connect';
    let client: LineClient | undefined;
    const deadline = Date.now() + opts.timeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    const t0 = performance.now();
    try {
      client = await LineClient.connect('127.0.0.1', port, left());
      stage = 'initialize';
      await client.initialize(left());
      samples.push(performance.now() - t0);
      all.push({ ms: performance.now() - t0, bound: false });
      if (opts.firstCall) {
        stage = opts.firstCall[0];
        const why = answerFailure(await client.request('tools/call', { name: opts.firstCall[0], arguments: opts.firstCall[1] }, left()));
        if (why) throw new Error(why);
      }
      clients.push(client);
      opened++;
    } catch (err) {
      client?.close();
      errors.add(`${stage}: ${errorKind(err)}`);
      if (stage !== opts.firstCall?.[0]) all.push({ ms: performance.now() - t0, bound: true });
    }
  };
  const lane = async () => {
    while (next < count) {
      next++;
      await openOne();
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, opts.concurrency ?? count) }, lane));
  stopTicker();
  return {
    requested: count,
    opened,
    clients,
    errors,
    connectInitMs: latency(samples),
    connectInitAllMs: boundedLatency(all),
    wallSeconds: (performance.now() - started) / 1000,
  };
}

export interface CallPlan {
  /** Most calls per session. */
  perSession: number;
  /** Calls outstanding per session (1: one at a time). */
  pipeline: number;
  /** No call starts after this long, ms. */
  durationMs: number;
  /** Longest wait for one answer, ms. */
  timeoutMs: number;
  next: () => Call;
  /** Groups of processes (e.g. HAProxy, the servers) whose CPU time per answered call the run reports, by name. */
  cpuOf?: Record<string, readonly number[]>;
}

export interface CallStats {
  sessions: number;
  pipeline: number;
  /** Calls answered successfully. */
  ok: number;
  errors: number;
  errorKinds: Record<string, number>;
  callsPerSecond: number;
  wallSeconds: number;
  latencyMs: Latency | null;
  /** Share of the machine's CPU time busy during the run (all processes, both cores), 0-1. */
  cpuBusy: number;
  /** Per group of CallPlan.cpuOf: its processes' CPU time (user + system) during the run per answered call, µs. */
  cpuPerCallUs?: Record<string, number>;
  /** When the run was repeated (and this is the median one): every run's calls/s, in order. */
  repeatsCallsPerSecond?: number[];
}

/** Runs `plan` on every client at once; returns when every lane has stopped. */
export async function runCalls(clients: LineClient[], plan: CallPlan, label: string): Promise<CallStats> {
  const errors = new ErrorTally();
  const samples: number[] = [];
  const end = Date.now() + plan.durationMs;
  const groups = Object.entries(plan.cpuOf ?? {});
  const groupCpu0 = groups.map(([, pids]) => processCpuMs(pids));
  const cpu0 = cpuTimes();
  const t0 = performance.now();
  const stopTicker = ticker(
    () => `${label}: ${samples.length} calls answered (${Math.round(samples.length / ((performance.now() - t0) / 1000))}/s), ${errors.count} failed`,
  );
  await Promise.all(
    clients.map(async (client) => {
      let issued = 0;
      const lane = async () => {
        while (issued < plan.perSession && Date.now() < end && !client.closed) {
          issued++;
          const [name, args] = plan.next();
          const s = performance.now();
          try {
            const why = answerFailure(await client.request('tools/call', { name, arguments: args }, plan.timeoutMs));
            if (why) errors.add(`${name}: ${why}`);
            else samples.push(performance.now() - s);
          } catch (err) {
            errors.add(`${name}: ${errorKind(err)}`);
          }
        }
      };
      await Promise.all(Array.from({ length: plan.pipeline }, lane));
    }),
  );
  stopTicker();
  const wallSeconds = (performance.now() - t0) / 1000;
  const perCall = (ms: number) => (samples.length ? Math.round((ms * 1000) / samples.length) : 0);
  const cpuPerCallUs = groups.length ? Object.fromEntries(groups.map(([name, pids], i) => [name, perCall(processCpuMs(pids) - groupCpu0[i])])) : undefined;
  return {
    sessions: clients.length,
    pipeline: plan.pipeline,
    ok: samples.length,
    errors: errors.count,
    errorKinds: errors.toJSON(),
    callsPerSecond: Math.round(samples.length / wallSeconds),
    wallSeconds: Math.round(wallSeconds * 100) / 100,
    latencyMs: latency(samples),
    cpuBusy: Math.round(cpuBusy(cpu0) * 1000) / 1000,
    ...(cpuPerCallUs ? { cpuPerCallUs } : {}),
  };
}

export function closeAll(clients: LineClient[]): void {
  for (const c of clients) c.close();
  clients.length = 0;
}
