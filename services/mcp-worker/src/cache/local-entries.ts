/**
 * The worker's near cache: decoded entries it recently read from Redis, so a
 * hot read costs no Redis round trip and no JSON decoding. Pure bookkeeping —
 * no I/O; whether it may answer at all is decided by its owner (`live`).
 *
 * Coherence: Redis tells the worker about every change under the cache's key
 * prefix (server-assisted client-side caching, `CLIENT TRACKING ... BCAST`;
 * see RedisLink). A change to an entry key drops that entry; a change to a
 * generation key (an invalidation by any worker's write, an expiry, an
 * eviction) drops every entry filled under it. The owner keeps the near
 * cache `live` only while those notices are guaranteed to arrive (Redis up,
 * tracking on, notice connection subscribed); otherwise it is emptied and
 * skipped. Notices and lookup replies come on two connections, so a lookup
 * that started before a notice arrived may carry what the notice replaced:
 * `put` refuses an entry whose lookup began in an older `epoch`.
 *
 * Safety net: an entry answers for at most `maxAgeMs` after it was read from
 * Redis, so a notice lost on a silently broken connection cannot keep an old
 * answer longer than that.
 */
import type { Entry } from './entry.js';
import type { CallKeys } from './keys.js';

interface Held {
  entry: Entry;
  /** The generation keys the entry depends on. */
  gens: [string, string];
  bytes: number;
  /** When it was read from Redis (the owner's clock, ms). */
  readAt: number;
  /** Answered since eviction last passed it (CLOCK: a second chance instead of reordering on every hit). */
  used: boolean;
}

export class LocalEntries {
  /** Entry key → held entry, oldest first (Map order; see `used`). */
  private readonly held = new Map<string, Held>();
  /** Generation key → entry keys filled under it. */
  private readonly dependents = new Map<string, Set<string>>();
  private heldBytes = 0;
  private on = false;
  private counter = 0;

  /**
   * `maxBytes`: the size of the entries as Redis stores them (their JSON);
   * decoded they take a few times that in memory. `maxAgeMs`: see above.
   */
  constructor(
    readonly maxBytes: number,
    readonly maxAgeMs: number,
  ) {}

  /** Changes with every notice and every clearing: a lookup notes it when it starts. */
  get epoch(): number {
    return this.counter;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.held.size, bytes: this.heldBytes };
  }

  /** Starts answering (notices are guaranteed from now on), or stops and forgets everything. */
  setLive(on: boolean): void {
    if (!on) this.clear();
    this.on = on;
  }

  /** The entry under `entryKey` if live and read from Redis less than maxAgeMs ago. */
  get(entryKey: string, now: number): Entry | undefined {
    if (!this.on) return undefined;
    const h = this.held.get(entryKey);
    if (!h) return undefined;
    if (now - h.readAt >= this.maxAgeMs) {
      this.remove(entryKey);
      return undefined;
    }
    h.used = true;
    return h.entry;
  }

  /**
   * Keeps an entry just read from Redis, unless a notice arrived since its
   * lookup began (`epoch` then), the near cache is not live, or it is too
   * large for it. Beyond maxBytes, evicts the oldest entries not answered
   * since eviction last passed them (those get a second chance, at the end).
   */
  put(keys: CallKeys, entry: Entry, bytes: number, epoch: number, now: number): void {
    if (!this.on || epoch !== this.counter || bytes > this.maxBytes) return;
    this.remove(keys.entry);
    this.held.set(keys.entry, { entry, gens: [keys.fnGen, keys.paramsGen], bytes, readAt: now, used: false });
    this.heldBytes += bytes;
    for (const g of [keys.fnGen, keys.paramsGen]) {
      let set = this.dependents.get(g);
      if (!set) this.dependents.set(g, (set = new Set()));
      set.add(keys.entry);
    }
    for (const [oldest, h] of this.held) {
      if (this.heldBytes <= this.maxBytes) break;
      if (h.used) {
        h.used = false;
        this.held.delete(oldest);
        this.held.set(oldest, h);
      } else this.remove(oldest);
    }
  }

  /** A notice: these keys changed in Redis (entry or generation keys; others are ignored). */
  changed(keys: readonly string[]): void {
    this.counter++;
    for (const k of keys) {
      this.remove(k);
      const deps = this.dependents.get(k);
      if (deps) for (const e of [...deps]) this.remove(e);
    }
  }

  /** Forgets everything (a flush notice, or notices may have been lost). */
  clear(): void {
    this.counter++;
    this.held.clear();
    this.dependents.clear();
    this.heldBytes = 0;
  }

  private remove(entryKey: string): void {
    const h = this.held.get(entryKey);
    if (!h) return;
    this.held.delete(entryKey);
    this.heldBytes -= h.bytes;
    for (const g of h.gens) {
      const set = this.dependents.get(g);
      if (!set) continue;
      set.delete(entryKey);
      if (set.size === 0) this.dependents.delete(g);
    }
  }
}
