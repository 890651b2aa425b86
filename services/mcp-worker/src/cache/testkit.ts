/**
 * Test doubles for code that sits in front of Moodle (the cache's tests, and
 * any tool test that needs a MoodleApi without HTTP). No test framework
 * imports: plain code that only records and answers.
 */
import { Registry } from 'prom-client';
import { MoodleError } from '../moodle/errors.js';
import type { MoodleApi, MoodleCallOptions, MoodleParams } from '../moodle/types.js';
import type { CacheTuning } from './cache-store.js';
import type { CachedMoodle } from './cached-moodle.js';
import { cacheEnvSchema, type CacheConfig } from './config.js';
import { createCache } from './index.js';
import type { CacheLogger } from './redis-link.js';

export interface RecordedCall {
  wsfunction: string;
  params: MoodleParams;
  write: boolean;
}

/**
 * Stands for Moodle: counts calls and answers `{ wsfunction, params, version }`
 * (bump `version` to simulate Moodle's data changing). `hold()` makes calls
 * wait until released; `failNext` makes calls reject.
 */
export class FakeMoodle implements MoodleApi {
  readonly calls: RecordedCall[] = [];
  /** Calls whose caller cancelled them while they were held. */
  cancelled = 0;
  /** Part of every answer; a write bumps it, as a change in Moodle would. */
  version = 1;
  /** Replaces the default answer (e.g. a large payload). */
  answer?: (wsfunction: string, params: MoodleParams) => unknown;
  private failure?: { error: Error; remaining: number };
  private gate?: { promise: Promise<void>; remaining: number };

  /** Calls of `wsfunction` (all calls when omitted). */
  count(wsfunction?: string): number {
    return wsfunction ? this.calls.filter((c) => c.wsfunction === wsfunction).length : this.calls.length;
  }

  /** The next `times` calls reject with `error` (every call when `times` is Infinity). */
  failNext(error: Error, times = Infinity): void {
    this.failure = { error, remaining: times };
  }

  succeed(): void {
    this.failure = undefined;
  }

  /**
   * The next `count` calls (all calls from now on by default) are counted and
   * answered as Moodle is *now*, but the answer is held back until the
   * returned function is called.
   */
  hold(count = Infinity): () => void {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    this.gate = { promise: gate, remaining: count };
    return () => {
      if (this.gate?.promise === gate) this.gate = undefined;
      release();
    };
  }

  async call<T = unknown>(wsfunction: string, params: MoodleParams, opts: MoodleCallOptions = {}): Promise<T> {
    this.calls.push({ wsfunction, params, write: opts.write === true });
    const failure = this.failure && this.failure.remaining > 0 ? this.failure.error : undefined;
    if (failure && this.failure) this.failure.remaining--;
    if (!failure && opts.write) this.version++;
    const value = this.answer ? this.answer(wsfunction, params) : { wsfunction, params, version: this.version };
    const gate = this.gate;
    if (gate && gate.remaining > 0) {
      if (--gate.remaining === 0) this.gate = undefined;
      await abortable(gate.promise, wsfunction, opts.signal).catch((err: unknown) => {
        this.cancelled++;
        throw err;
      });
    }
    if (opts.signal?.aborted) throw new MoodleError('aborted', wsfunction, 'the call was cancelled');
    if (failure) throw failure;
    return value as T;
  }
}

function abortable(p: Promise<void>, wsfunction: string, signal?: AbortSignal): Promise<void> {
  if (!signal) return p;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new MoodleError('aborted', wsfunction, 'the call was cancelled'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/** The cache configuration with every default, then `overrides`. */
export function cacheConfig(overrides: Partial<CacheConfig> = {}): CacheConfig {
  return { ...cacheEnvSchema.parse({}), ...overrides };
}

/** A clock tests move by hand (epoch ms), for entry ages without sleeping. */
export class ManualClock {
  constructor(private t = Date.UTC(2026, 0, 1)) {}
  readonly now = (): number => this.t;
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

export const TEST_BASE_URL = 'https://moodle.school.example';
export const TEST_TOKEN = 'token-of-teacher-a-0123456789abcdef';

export interface TestWorker {
  cache: CachedMoodle;
  registry: Registry;
}

/**
 * Builds cached "workers" (CachedMoodle instances with their own Redis
 * connections and registries) over one FakeMoodle, the way N worker
 * processes share one Moodle and one Redis; `closeAll()` closes them.
 */
export class CacheHarness {
  readonly moodle = new FakeMoodle();
  readonly clock = new ManualClock();
  private readonly opened: CachedMoodle[] = [];

  constructor(private readonly base: { config: Partial<CacheConfig>; logger: CacheLogger; tuning?: CacheTuning }) {}

  worker(opts: { token?: string; config?: Partial<CacheConfig>; inner?: MoodleApi } = {}): TestWorker {
    const registry = new Registry();
    const cache = createCache({
      inner: opts.inner ?? this.moodle,
      baseUrl: TEST_BASE_URL,
      token: opts.token ?? TEST_TOKEN,
      config: cacheConfig({ ...this.base.config, ...opts.config }),
      logger: this.base.logger,
      registry,
      tuning: { now: this.clock.now, reconnectMaxDelayMs: 100, ...this.base.tuning },
    });
    this.opened.push(cache);
    return { cache, registry };
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.opened.splice(0).map((c) => c.close()));
  }
}

/** The value of one sample of a metric, or undefined when the label set does not exist. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return undefined;
  const { values } = await metric.get();
  const sample = values.find((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want));
  return sample?.value;
}
