/**
 * The Redis side of a cached read: looking an entry up, and making sure only
 * one caller across all workers fills a missing entry while the others wait.
 *
 * Cross-worker coalescing:
 * - The filler ("owner") holds `lock` (SET NX PX, value = a random owner id)
 *   and renews it every third of its TTL while Moodle is working, so the TTL
 *   only bounds how long a *dead* owner blocks others.
 * - When the fill ends the owner stores the entry, deletes its lock and
 *   publishes a notice on the site's fill channel, all in one script.
 * - Waiters wake on the notice (pub/sub: milliseconds after the fill) and
 *   also poll every `pollMs` with a SET NX on the lock (a few bytes, whatever
 *   the entry's size). The poll is the backstop for lost notices (the notice
 *   connection may be reconnecting) and is how a dead owner is noticed: its
 *   lock expires, the next SET NX of a waiter succeeds and — unless a fresh
 *   entry is there after all — that waiter takes over the fill.
 * - No wait is unbounded: after `waitTimeoutMs` a waiter fills by itself.
 *
 * Every Redis command goes through RedisLink.attempt: when Redis fails, the
 * outcome is `redis_down` and the caller goes to Moodle without the cache.
 */
import { randomBytes } from 'node:crypto';
import { idSource } from '@moodle-mcp/common';
import { decodeEntry, decodeNotice, encodeNotice, type Entry, type FillNotice } from './entry.js';
import type { CallKeys } from './keys.js';
import type { Redis } from 'ioredis';
import type { RedisLink } from './redis-link.js';

/** Atomically reads the entry and both generations, creating a missing generation (random value). */
const LOOKUP = `
local e = redis.call('GET', KEYS[1])
local g1 = redis.call('GET', KEYS[2])
if not g1 then g1 = ARGV[1]; redis.call('SET', KEYS[2], g1, 'PX', ARGV[3]) end
local g2 = redis.call('GET', KEYS[3])
if not g2 then g2 = ARGV[2]; redis.call('SET', KEYS[3], g2, 'PX', ARGV[3]) end
return {e or false, g1, g2}`;

/**
 * Stores the entry only if both generations are still those it was fetched
 * under (a write in between made it stale), releases the lock if still ours,
 * and publishes the matching notice. Returns 1 if stored.
 */
const COMPLETE = `
local stored = 0
if ARGV[4] ~= '' and redis.call('GET', KEYS[2]) == ARGV[2] and redis.call('GET', KEYS[3]) == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
  stored = 1
end
if redis.call('GET', KEYS[4]) == ARGV[1] then redis.call('DEL', KEYS[4]) end
if stored == 1 then redis.call('PUBLISH', ARGV[7], ARGV[8]) else redis.call('PUBLISH', ARGV[7], ARGV[9]) end
return stored`;

/** Deletes the lock if still ours and publishes the notice. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`;

/** Extends the lock if still ours. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

export interface Lookup {
  entry?: Entry;
  /** Size of the entry as stored, bytes (0 when there is none). */
  bytes: number;
  /** "<fnGen>.<paramsGen>": the generations a fill for this call must be stored under. */
  gens: string;
}

/** A held fill lock; `stop()` ends the renewals. */
export interface LockHandle {
  key: string;
  owner: string;
  stop(): void;
}

export type Claim =
  | { kind: 'owner'; lock: LockHandle }
  | { kind: 'filled'; entry: Entry }
  | { kind: 'error'; notice: Extract<FillNotice, { status: 'error' }> }
  /** The fill's answer was not stored, or the wait timed out: call Moodle without waiting again. */
  | { kind: 'unstored' }
  | { kind: 'timeout' }
  | { kind: 'redis_down' }
  /** Every caller of this fill has cancelled. */
  | { kind: 'aborted' };

interface Waiter {
  notice?: FillNotice;
  wake?: () => void;
}

export interface RedisFillsOptions {
  lockTtlMs: number;
  waitTimeoutMs: number;
  /** Poll period of waiters, ms. */
  pollMs: number;
  /** Lifetime of generation keys, ms: longer than any entry lives. */
  genTtlMs: number;
}

/** Generation values for keys a lookup finds missing (most find their generations present). */
const newGen = idSource();

export class RedisFills {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly listening = new Set<string>();
  private readonly scripts: Record<'lookup' | 'complete' | 'release' | 'renew', (redis: Redis, ...args: (string | number)[]) => Promise<unknown>>;

  constructor(
    private readonly link: RedisLink,
    private readonly opts: RedisFillsOptions,
  ) {
    this.scripts = {
      lookup: link.defineScript('mcpCacheLookup', 3, LOOKUP),
      complete: link.defineScript('mcpCacheComplete', 4, COMPLETE),
      release: link.defineScript('mcpCacheRelease', 1, RELEASE),
      renew: link.defineScript('mcpCacheRenew', 1, RENEW),
    };
  }

  /** Reads the entry and its generations; undefined when Redis is not usable. */
  async lookup(keys: CallKeys): Promise<Lookup | undefined> {
    const reply = await this.link.attempt('lookup', (r) =>
      this.scripts.lookup(r, keys.entry, keys.fnGen, keys.paramsGen, newGen(), newGen(), this.opts.genTtlMs),
    );
    if (!Array.isArray(reply)) return undefined;
    const [raw, g1, g2] = reply as [string | null, string, string];
    return { entry: decodeEntry(raw), bytes: raw?.length ?? 0, gens: `${g1}.${g2}` };
  }

  /**
   * Becomes the owner of `keys.lock(gens)`, or waits for the current owner's
   * fill. `isFresh` says whether a stored entry answers this call.
   */
  async claim(channel: string, keys: CallKeys, gens: string, isFresh: (e: Entry) => boolean, signal: AbortSignal): Promise<Claim> {
    this.listen(channel);
    const lockKey = keys.lock(gens);
    const waiter: Waiter = {};
    let set = this.waiters.get(lockKey);
    if (!set) this.waiters.set(lockKey, (set = new Set()));
    set.add(waiter);
    const deadline = performance.now() + this.opts.waitTimeoutMs;
    try {
      for (;;) {
        const owner = randomBytes(12).toString('base64url');
        const got = await this.link.attempt('lock', (r) => r.set(lockKey, owner, 'PX', this.opts.lockTtlMs, 'NX'));
        if (got === undefined) return { kind: 'redis_down' };
        if (got === 'OK') {
          const lock = this.startRenewing(lockKey, owner);
          // The lock was free: nobody is filling now, but another fill may have
          // finished between our lookup and this claim (on the first try), or
          // its owner died or its notice did not reach us (after waiting).
          // Only the entry tells; without this check, identical calls racing a
          // fill that just ended would each call Moodle again.
          const entry = await this.freshEntry(keys.entry, gens, isFresh);
          if (entry === undefined) return { kind: 'owner', lock };
          await this.release(channel, lock, { lock: lockKey, status: 'ok' });
          return entry === null ? { kind: 'redis_down' } : { kind: 'filled', entry };
        }

        const event = await this.nextEvent(waiter, deadline, signal);
        if (signal.aborted) return { kind: 'aborted' };
        if (event === 'deadline') return { kind: 'timeout' };
        if (event === 'tick') continue; // the lock is only free again when the owner finished or died
        if (event.status === 'error') return { kind: 'error', notice: event };
        if (event.status === 'unstored') return { kind: 'unstored' };
        if (event.status === 'ok') {
          const entry = await this.freshEntry(keys.entry, gens, isFresh);
          if (entry === null) return { kind: 'redis_down' };
          if (entry) return { kind: 'filled', entry };
        }
      }
    } finally {
      set.delete(waiter);
      if (set.size === 0 && this.waiters.get(lockKey) === set) this.waiters.delete(lockKey);
    }
  }

  /** The stored entry if it answers this call; undefined if not; null if Redis failed. */
  private async freshEntry(key: string, gens: string, isFresh: (e: Entry) => boolean): Promise<Entry | undefined | null> {
    const raw = await this.link.attempt('wait', (r) => r.get(key));
    if (raw === undefined) return null;
    const entry = decodeEntry(raw);
    return entry && entry.gens === gens && isFresh(entry) ? entry : undefined;
  }

  /**
   * Ends a fill: stores `payload` (unless '' or the generations moved), releases
   * the lock and notifies waiters. Resolves true if the entry was stored.
   */
  async complete(channel: string, keys: CallKeys, gens: string, lock: LockHandle | undefined, payload: string, entryTtlMs: number): Promise<boolean> {
    lock?.stop();
    const lockKey = keys.lock(gens);
    const [g1, g2] = gens.split('.') as [string, string];
    const ok = encodeNotice({ lock: lockKey, status: 'ok' });
    const unstored = encodeNotice({ lock: lockKey, status: 'unstored' });
    const reply = await this.link.attempt('store', (r) =>
      this.scripts.complete(
        r,
        keys.entry,
        keys.fnGen,
        keys.paramsGen,
        lockKey,
        lock?.owner ?? '',
        g1,
        g2,
        payload,
        entryTtlMs,
        this.opts.genTtlMs,
        channel,
        ok,
        unstored,
      ),
    );
    return reply === 1;
  }

  /** Ends a failed fill: releases the lock and passes `notice` to the waiters. */
  async release(channel: string, lock: LockHandle, notice: FillNotice): Promise<void> {
    lock.stop();
    await this.link.attempt('release', (r) => this.scripts.release(r, lock.key, lock.owner, channel, encodeNotice(notice)));
  }

  private startRenewing(key: string, owner: string): LockHandle {
    const timer = setInterval(
      () => {
        void this.link.attempt('lock', (r) => this.scripts.renew(r, key, owner, this.opts.lockTtlMs));
      },
      Math.max(10, Math.floor(this.opts.lockTtlMs / 3)),
    );
    timer.unref();
    return { key, owner, stop: () => clearInterval(timer) };
  }

  /** Starts receiving fill notices of `channel` (idempotent; done when a view is created, so the first wait does not race the SUBSCRIBE). */
  listen(channel: string): void {
    if (this.listening.has(channel)) return;
    this.listening.add(channel);
    this.link.listen(channel, (raw) => {
      const notice = decodeNotice(raw);
      if (!notice) return;
      for (const w of this.waiters.get(notice.lock) ?? []) {
        w.notice = notice;
        w.wake?.();
      }
    });
  }

  /** The next notice for this waiter, a poll tick, the deadline, or the caller's abort. */
  private nextEvent(waiter: Waiter, deadline: number, signal: AbortSignal): Promise<FillNotice | 'tick' | 'deadline'> {
    const pending = waiter.notice;
    if (pending) {
      waiter.notice = undefined;
      return Promise.resolve(pending);
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0) return Promise.resolve('deadline');
    return new Promise((resolve) => {
      const finish = (event: FillNotice | 'tick' | 'deadline') => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        waiter.wake = undefined;
        waiter.notice = undefined;
        resolve(event);
      };
      const onAbort = () => finish('tick');
      const timer = setTimeout(() => finish(remaining <= this.opts.pollMs ? 'deadline' : 'tick'), Math.min(this.opts.pollMs, remaining));
      waiter.wake = () => finish(waiter.notice ?? 'tick');
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
