/**
 * What all CachedMoodle views of one worker share: the Redis connections, the
 * metrics, the TTL policy, the in-process flights and the invalidations that
 * still have to reach Redis. One per worker process; `wrap()` gives a
 * MoodleApi per (Moodle site, token).
 */
import type { Registry } from 'prom-client';
import { MoodleError } from '../moodle/errors.js';
import type { MoodleApi } from '../moodle/types.js';
import { CachedMoodle, type Outcome } from './cached-moodle.js';
import { redisEndpoint, type CacheConfig } from './config.js';
import { Flights } from './flights.js';
import { CacheMetrics, type RedisOp } from './metrics.js';
import { LocalEntries } from './local-entries.js';
import { KEY_VERSION } from './keys.js';
import { RedisFills } from './redis-fills.js';
import { RedisLink, type CacheLogger } from './redis-link.js';
import { TtlPolicy } from './ttl.js';

/** Seams for tests; production uses the defaults. */
export interface CacheTuning {
  /** Wall clock for entry ages, epoch ms (default Date.now). */
  now?: () => number;
  /** Poll period of cross-worker waiters, ms (default: a tenth of the lock TTL, 20–200). */
  pollMs?: number;
  /** Cap of Redis reconnect backoff, ms (default 2000). */
  reconnectMaxDelayMs?: number;
}

export interface CacheStoreOptions {
  config: CacheConfig;
  logger: CacheLogger;
  /** The worker's registry; the cache never registers on prom-client's global one. */
  registry: Registry;
  /** Function names whose metric label sets start at zero, besides the TTL table's (e.g. the tools' functions). */
  functions?: readonly string[];
  tuning?: CacheTuning;
}

/**
 * Longest a near-cache entry answers after it was read from Redis, ms: the
 * bound on staleness should a key-change notice be lost on a connection that
 * broke silently. Costs one Redis lookup per hot key and worker per period.
 */
const LOCAL_MAX_AGE_MS = 5000;

/** More pending invalidation keys than this are folded into whole-function invalidations. */
const MAX_PENDING_INVALIDATIONS = 1000;

export class CacheStore {
  readonly ttl: TtlPolicy;
  readonly metrics: CacheMetrics;
  readonly flights = new Flights<Outcome>((fn) => new MoodleError('aborted', fn, 'the call was cancelled'));
  /** Absent when the cache is disabled (no REDIS_URL, or CACHE_ENABLED=false). */
  readonly fills?: RedisFills;
  readonly now: () => number;
  readonly staleMaxAgeMs: number;
  readonly maxEntryBytes: number;
  readonly prefix: string;
  readonly logger: CacheLogger;
  /** The near cache; absent when the cache or CACHE_LOCAL_MAX_BYTES is off. Answers only while `live`. */
  readonly local?: LocalEntries;
  private readonly link?: RedisLink;
  /** Generation keys a write could not delete while Redis was away; deleted on recovery. */
  private readonly pending = new Set<string>();

  constructor(opts: CacheStoreOptions) {
    const { config, tuning = {} } = opts;
    this.logger = opts.logger;
    this.ttl = new TtlPolicy(config.CACHE_TTL_DEFAULT_SECONDS, config.CACHE_TTL_OVERRIDES);
    this.metrics = new CacheMetrics(opts.registry, [...new Set([...this.ttl.knownFunctions(), ...(opts.functions ?? [])])].sort());
    this.now = tuning.now ?? Date.now;
    this.staleMaxAgeMs = config.CACHE_STALE_MAX_AGE_SECONDS * 1000;
    this.maxEntryBytes = config.CACHE_MAX_ENTRY_BYTES;
    this.prefix = config.REDIS_KEY_PREFIX;

    const enabled = config.CACHE_ENABLED && config.REDIS_URL !== undefined;
    const facts = {
      enabled,
      ttlDefaultSeconds: config.CACHE_TTL_DEFAULT_SECONDS,
      ttlOverrides: config.CACHE_TTL_OVERRIDES,
      staleMaxAgeSeconds: config.CACHE_STALE_MAX_AGE_SECONDS,
      maxEntryBytes: config.CACHE_MAX_ENTRY_BYTES,
      commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
      lockTtlMs: config.CACHE_LOCK_TTL_MS,
      waitTimeoutMs: config.CACHE_WAIT_TIMEOUT_MS,
      localMaxBytes: config.CACHE_LOCAL_MAX_BYTES,
    };
    if (!enabled || config.REDIS_URL === undefined) {
      opts.logger.info(config.REDIS_URL ? 'response cache disabled (CACHE_ENABLED=false)' : 'response cache disabled (no REDIS_URL)', facts);
      return;
    }
    const endpoint = redisEndpoint(config.REDIS_URL);
    opts.logger.info('response cache configured', { ...facts, redis: endpoint, keyPrefix: this.prefix });
    this.link = new RedisLink({
      url: config.REDIS_URL,
      password: config.REDIS_PASSWORD,
      commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
      reconnectMaxDelayMs: tuning.reconnectMaxDelayMs,
      endpoint,
      logger: opts.logger,
      metrics: this.metrics,
      onRecovered: () => void this.flushPending(),
    });
    this.fills = new RedisFills(this.link, {
      lockTtlMs: config.CACHE_LOCK_TTL_MS,
      waitTimeoutMs: config.CACHE_WAIT_TIMEOUT_MS,
      pollMs: tuning.pollMs ?? Math.min(200, Math.max(20, Math.floor(config.CACHE_LOCK_TTL_MS / 10))),
      // Twice the longest an entry can live, and renewed on every store: a
      // generation outlives the entries filled under it. Losing one early
      // (eviction) is safe: it is recreated with a new value → only misses.
      genTtlMs: 2 * (this.ttl.maxSeconds() * 1000 + this.staleMaxAgeMs),
    });
    if (config.CACHE_LOCAL_MAX_BYTES > 0) {
      const local = new LocalEntries(config.CACHE_LOCAL_MAX_BYTES, LOCAL_MAX_AGE_MS);
      this.local = local;
      this.metrics.localSize = () => local.size.bytes;
      this.link.track({
        // Every key of the cache, of every site: entries, generations, locks.
        prefixes: [`${this.prefix}:${KEY_VERSION}:`],
        live: (on) => local.setLive(on),
        changed: (keys) => (keys ? local.changed(keys) : local.clear()),
      });
    }
  }

  /** True while the shared cache is in use (Redis connected and answering). */
  get available(): boolean {
    return this.link?.available ?? false;
  }

  /**
   * A Lua script run on the cache's Redis under `op`: resolves its reply, or
   * undefined while Redis is unusable. Undefined without a cache.
   */
  script(op: RedisOp, name: string, numberOfKeys: number, lua: string): ((...args: (string | number)[]) => Promise<unknown>) | undefined {
    const link = this.link;
    if (!link) return undefined;
    const run = link.defineScript(name, numberOfKeys, lua);
    return (...args) => link.attempt(op, (redis) => run(redis, ...args));
  }

  /** A cached MoodleApi for one Moodle site and token, over `inner`. */
  wrap(inner: MoodleApi, site: { baseUrl: string; token: string }): CachedMoodle {
    return new CachedMoodle(inner, this, site);
  }

  /**
   * Deletes generation keys (`keys`); `wholeFunctionKeys` are the coarser keys
   * to remember instead when many invalidations are waiting for Redis. Never throws.
   */
  async invalidate(keys: string[], wholeFunctionKeys: string[]): Promise<void> {
    if (!this.link || keys.length === 0) return;
    const done = await this.link.attempt('invalidate', (r) => r.del(...keys));
    if (done !== undefined) return;
    const remember = this.pending.size + keys.length > MAX_PENDING_INVALIDATIONS ? wholeFunctionKeys : keys;
    for (const k of remember) this.pending.add(k);
    this.logger.debug('cache invalidation deferred until Redis is back', { keys: remember.length });
  }

  /** Disconnects from Redis (bounded by the disconnect timeout). Calls still running finish without the cache. */
  async close(): Promise<void> {
    await this.link?.close();
  }

  private async flushPending(): Promise<void> {
    if (!this.link || this.pending.size === 0) return;
    const keys = [...this.pending];
    this.pending.clear();
    const done = await this.link.attempt('invalidate', (r) => r.del(...keys));
    if (done === undefined) for (const k of keys) this.pending.add(k);
    else this.logger.info('cache invalidations deferred during the Redis outage applied', { keys: keys.length });
  }
}
