/**
 * CachedMoodle: a MoodleApi that serves reads through the shared Redis cache
 * and passes writes through, invalidating what they change.
 *
 * Read path (no `write`):
 * 0. The worker's near cache (LocalEntries) answers a hot entry it read from
 *    Redis moments ago, while Redis's key-change notices keep it in step → `hit`.
 * 1. One Redis round trip reads the entry and its two generations (of the
 *    function, and of the function with these parameters). A stored entry
 *    answers only while both still equal those it was filled under and it is
 *    younger than the function's TTL → `hit`.
 * 2. Otherwise the call joins or starts the in-process flight for
 *    (entry, generations); the flight claims the Redis fill lock or waits for
 *    the worker that holds it (RedisFills) → `coalesced` for every caller
 *    that did not itself go to Moodle.
 * 3. The filler calls Moodle once and stores {value, fetchedAt, generations}
 *    for TTL + staleMaxAge, unless the answer exceeds maxEntryBytes (`bypass`).
 * 4. If Moodle fails transiently and the entry from step 1 is past its TTL
 *    but within staleMaxAge, that entry is served → `stale` (with its age).
 *    Errors are never stored; the filler's waiters receive the same error.
 *
 * Whenever Redis is not usable the call goes to Moodle directly (`bypass`),
 * still coalesced in process: no call ever fails because of Redis.
 */
import { MoodleError } from '../moodle/errors.js';
import type { MoodleApi, MoodleCallOptions, MoodleParams } from '../moodle/types.js';
import type { CacheStore } from './cache-store.js';
import { WSFUNCTION_PATTERN } from './config.js';
import { encodeEntry, errorFromNotice, noticeForError, type Entry } from './entry.js';
import { CacheKeys, type CallKeys } from './keys.js';
import type { LockHandle } from './redis-fills.js';

/**
 * How a call was answered:
 * - `hit`: from the cache, fresh;
 * - `miss`: from Moodle, and stored;
 * - `coalesced`: from a Moodle call another caller (this worker or another) made at the same time;
 * - `stale`: from the cache past its TTL, because Moodle failed transiently;
 * - `bypass`: from Moodle without the cache (writes, Redis unavailable or disabled, TTL 0, answer too large).
 */
export type CacheStatus = 'hit' | 'miss' | 'stale' | 'bypass' | 'coalesced';

export interface CallMeta<T> {
  /** Moodle's answer. Callers coalesced in one process share one object: treat it as read-only. */
  value: T;
  cache: CacheStatus;
  /** Whole seconds since the value was fetched from Moodle (0 when fetched by this call). */
  ageSeconds: number;
}

/** A fill's result, shared by every caller of one in-process flight. */
export interface Outcome {
  value: unknown;
  cache: 'miss' | 'bypass' | 'stale' | 'coalesced';
  /** Epoch ms at which Moodle produced the value. */
  fetchedAt: number;
}

export type Invalidation = NonNullable<MoodleCallOptions['invalidates']>[number];

export class CachedMoodle implements MoodleApi {
  private readonly keys: CacheKeys;

  /** `onClose` runs on close() (createCache passes the store's close: that view owns the connections). */
  constructor(
    private readonly inner: MoodleApi,
    private readonly store: CacheStore,
    site: { baseUrl: string; token: string },
    private readonly onClose?: () => Promise<void>,
  ) {
    this.keys = new CacheKeys(store.prefix, site.baseUrl, site.token);
    store.fills?.listen(this.keys.fillChannel);
  }

  /** True while the shared cache is in use; false while calls go to Moodle uncached. */
  get available(): boolean {
    return this.store.available;
  }

  async call<T = unknown>(wsfunction: string, params: MoodleParams, opts?: MoodleCallOptions): Promise<T> {
    return (await this.callWithMeta<T>(wsfunction, params, opts)).value;
  }

  /** Like `call`, and says how the answer was obtained (for "stale" notes in tool results). */
  async callWithMeta<T = unknown>(wsfunction: string, params: MoodleParams, opts: MoodleCallOptions = {}): Promise<CallMeta<T>> {
    if (opts.write) return this.write<T>(wsfunction, params, opts);
    return this.read<T>(wsfunction, params, opts.signal);
  }

  /**
   * Makes cached answers unreachable for every token scope and every worker:
   * a target without params → all answers of that function on this site;
   * with params → the answers for exactly those (canonicalized) parameters.
   * Never throws; if Redis is away it is done when Redis is back.
   */
  async invalidate(targets: readonly Invalidation[]): Promise<void> {
    if (targets.length === 0) return;
    for (const t of targets) this.store.flights.detach(t.wsfunction);
    const keys = targets.map((t) => (t.params ? this.keys.paramsGen(t.wsfunction, t.params) : this.keys.fnGen(t.wsfunction)));
    // At once in this worker: its next read must not wait for Redis's notice of the change.
    this.store.local?.changed(keys);
    await this.store.invalidate(keys, [...new Set(targets.map((t) => this.keys.fnGen(t.wsfunction)))]);
  }

  /** Releases the cache's Redis connections if this view owns them (see createCache). Never hangs. */
  async close(): Promise<void> {
    await this.onClose?.();
  }

  /** A write goes to Moodle once (no cache, no retry here); then what it changes is invalidated — also when it failed, since it may have been applied. */
  private async write<T>(wsfunction: string, params: MoodleParams, opts: MoodleCallOptions): Promise<CallMeta<T>> {
    try {
      const value = await this.inner.call<T>(wsfunction, params, opts);
      return { value, cache: 'bypass', ageSeconds: 0 };
    } finally {
      await this.invalidate(opts.invalidates ?? []);
    }
  }

  private async read<T>(fn: string, params: MoodleParams, signal: AbortSignal | undefined): Promise<CallMeta<T>> {
    const { store } = this;
    const ttlMs = store.ttl.seconds(fn) * 1000;
    const keys = this.keys.forCall(fn, params);
    const cacheable = ttlMs > 0 && WSFUNCTION_PATTERN.test(fn) && store.fills !== undefined;
    const local = cacheable ? store.local : undefined;
    const near = local?.get(keys.entry, performance.now());
    if (near && store.now() - near.fetchedAt < ttlMs) {
      store.metrics.localHits.inc({ function: fn });
      return this.hit(fn, near);
    }
    const epoch = local?.epoch;
    const found = cacheable ? await store.fills?.lookup(keys) : undefined;

    let stale: Entry | undefined;
    const entry = found?.entry;
    if (entry && entry.gens === found.gens) {
      const age = store.now() - entry.fetchedAt;
      if (age < ttlMs) {
        if (local && epoch !== undefined) local.put(keys, entry, found.bytes, epoch, performance.now());
        return this.hit(fn, entry);
      }
      if (age < ttlMs + store.staleMaxAgeMs) stale = entry;
    }

    const flightKey = found ? keys.lock(found.gens) : `${keys.entry}:direct`;
    let outcome: Outcome;
    let joined: boolean;
    try {
      ({ value: outcome, joined } = await store.flights.run(flightKey, fn, signal, (s) => this.fill(fn, params, keys, found?.gens, stale, ttlMs, s)));
    } catch (err) {
      store.metrics.lookups.inc({ function: fn, result: found ? 'miss' : 'bypass' });
      throw err;
    }
    let cache: CacheStatus = outcome.cache;
    if (joined && cache !== 'stale') {
      cache = 'coalesced';
      store.metrics.coalesced.inc({ function: fn, scope: 'local' });
    }
    store.metrics.lookups.inc({ function: fn, result: cache === 'coalesced' ? 'hit' : cache });
    return { value: outcome.value as T, cache, ageSeconds: this.ageSeconds(outcome.fetchedAt) };
  }

  private hit<T>(fn: string, entry: Entry): CallMeta<T> {
    this.store.metrics.lookups.inc({ function: fn, result: 'hit' });
    return { value: entry.value as T, cache: 'hit', ageSeconds: this.ageSeconds(entry.fetchedAt) };
  }

  /** The work of one flight: claim the fill (or wait for another worker's), then fetch. */
  private async fill(
    fn: string,
    params: MoodleParams,
    keys: CallKeys,
    gens: string | undefined,
    stale: Entry | undefined,
    ttlMs: number,
    signal: AbortSignal,
  ): Promise<Outcome> {
    const fills = this.store.fills;
    if (gens === undefined || !fills) return this.fetch(fn, params, signal, stale, ttlMs);
    const claim = await fills.claim(this.keys.fillChannel, keys, gens, (e) => this.store.now() - e.fetchedAt < ttlMs, signal);
    switch (claim.kind) {
      case 'owner':
        return this.fetchAndStore(fn, params, keys, gens, claim.lock, stale, ttlMs, signal);
      case 'timeout':
        // The owner is alive (it renews its lock) but slow: fill without it.
        return this.fetchAndStore(fn, params, keys, gens, undefined, stale, ttlMs, signal);
      case 'filled':
        this.store.metrics.coalesced.inc({ function: fn, scope: 'redis' });
        return { value: claim.entry.value, cache: 'coalesced', fetchedAt: claim.entry.fetchedAt };
      case 'error':
        return this.staleOr(errorFromNotice(fn, claim.notice.error), stale, ttlMs);
      case 'aborted':
        throw new MoodleError('aborted', fn, 'the call was cancelled');
      case 'unstored':
      case 'redis_down':
        return this.fetch(fn, params, signal, stale, ttlMs);
    }
  }

  /** Moodle without the cache. */
  private async fetch(fn: string, params: MoodleParams, signal: AbortSignal, stale: Entry | undefined, ttlMs: number): Promise<Outcome> {
    try {
      const value = await this.inner.call(fn, params, { signal });
      return { value, cache: 'bypass', fetchedAt: this.store.now() };
    } catch (err) {
      return this.staleOr(err, stale, ttlMs);
    }
  }

  /** Moodle, then store the answer and end the fill (release the lock, notify waiters). */
  private async fetchAndStore(
    fn: string,
    params: MoodleParams,
    keys: CallKeys,
    gens: string,
    lock: LockHandle | undefined,
    stale: Entry | undefined,
    ttlMs: number,
    signal: AbortSignal,
  ): Promise<Outcome> {
    const { store } = this;
    const fills = store.fills!;
    let value: unknown;
    try {
      value = await this.inner.call(fn, params, { signal });
    } catch (err) {
      if (lock) await fills.release(this.keys.fillChannel, lock, noticeForError(lock.key, err));
      return this.staleOr(err, stale, ttlMs);
    }
    const fetchedAt = store.now();
    const payload = encodeEntry(value, fetchedAt, gens);
    const bytes = Buffer.byteLength(payload);
    const fits = bytes <= store.maxEntryBytes;
    if (!fits) store.logger.debug('cache entry too large; not stored', { wsfunction: fn, bytes, maxEntryBytes: store.maxEntryBytes });
    const stored = await fills.complete(this.keys.fillChannel, keys, gens, lock, fits ? payload : '', ttlMs + store.staleMaxAgeMs);
    if (stored) store.metrics.storedBytes.inc(bytes);
    return { value, cache: fits ? 'miss' : 'bypass', fetchedAt };
  }

  /** Stale-if-error: a transient Moodle failure is answered with a stale entry if one is young enough. */
  private staleOr(err: unknown, stale: Entry | undefined, ttlMs: number): Outcome {
    if (stale && err instanceof MoodleError && err.transient && this.store.now() - stale.fetchedAt < ttlMs + this.store.staleMaxAgeMs) {
      this.store.logger.debug('serving a stale cache entry; Moodle failed', { wsfunction: err.wsfunction, kind: err.kind });
      return { value: stale.value, cache: 'stale', fetchedAt: stale.fetchedAt };
    }
    throw err;
  }

  private ageSeconds(fetchedAt: number): number {
    return Math.max(0, Math.floor((this.store.now() - fetchedAt) / 1000));
  }
}
