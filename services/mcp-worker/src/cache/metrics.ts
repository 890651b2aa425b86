/**
 * Prometheus metrics of the response cache, registered on the registry the
 * worker passes in (never prom-client's global one). Label values come from
 * bounded sets only: function names of the TTL table and the tools, the fixed
 * result/scope/op enums — never a key, token or session id.
 */
import { Counter, Gauge, Registry } from 'prom-client';

export const LOOKUP_RESULTS = ['hit', 'miss', 'stale', 'bypass'] as const;
export type LookupResult = (typeof LOOKUP_RESULTS)[number];

export const COALESCE_SCOPES = ['local', 'redis'] as const;
export type CoalesceScope = (typeof COALESCE_SCOPES)[number];

/** Redis operations whose failures are counted. */
export const REDIS_OPS = ['connection', 'lookup', 'lock', 'store', 'release', 'wait', 'invalidate', 'subscribe', 'tracking', 'rate_limit'] as const;
export type RedisOp = (typeof REDIS_OPS)[number];

export class CacheMetrics {
  readonly lookups: Counter<'function' | 'result'>;
  readonly coalesced: Counter<'function' | 'scope'>;
  readonly redisUp: Gauge;
  readonly storedBytes: Counter;
  readonly errors: Counter<'op'>;
  readonly localHits: Counter<'function'>;
  readonly localBytes: Gauge;
  /** Read at each scrape for mcp_cache_local_bytes (set by the owner of the near cache). */
  localSize?: () => number;

  /** `functions`: the known function names whose label sets start at 0. */
  constructor(registry: Registry, functions: readonly string[]) {
    const registers = [registry];
    this.lookups = new Counter({
      name: 'mcp_cache_lookups_total',
      help: 'Cached-read calls by outcome: hit (served from Redis, including callers coalesced onto another fill), miss (fetched from Moodle and stored), stale (served past its TTL because Moodle failed), bypass (Redis not used or answer not storable).',
      labelNames: ['function', 'result'],
      registers,
    });
    this.coalesced = new Counter({
      name: 'mcp_cache_coalesced_total',
      help: 'Calls answered by a fill another caller made: in this process (local) or in another worker (redis).',
      labelNames: ['function', 'scope'],
      registers,
    });
    this.redisUp = new Gauge({
      name: 'mcp_cache_redis_up',
      help: '1 while the shared cache Redis answers, 0 while the worker runs uncached.',
      registers,
    });
    this.storedBytes = new Counter({
      name: 'mcp_cache_stored_bytes_total',
      help: 'Bytes of cache entries written to Redis.',
      registers,
    });
    this.errors = new Counter({
      name: 'mcp_cache_errors_total',
      help: 'Failed Redis operations of the cache (the calls themselves went on without the cache).',
      labelNames: ['op'],
      registers,
    });
    this.localHits = new Counter({
      name: 'mcp_cache_local_hits_total',
      help: "Hits answered by the worker's near cache without a Redis round trip (also counted in mcp_cache_lookups_total as hit).",
      labelNames: ['function'],
      registers,
    });
    this.localBytes = new Gauge({
      name: 'mcp_cache_local_bytes',
      help: "Size of the entries held in the worker's near cache, bytes as stored in Redis.",
      registers,
      collect: () => this.localBytes.set(this.localSize?.() ?? 0),
    });
    for (const fn of functions) {
      this.localHits.inc({ function: fn }, 0);
      for (const result of LOOKUP_RESULTS) this.lookups.inc({ function: fn, result }, 0);
      for (const scope of COALESCE_SCOPES) this.coalesced.inc({ function: fn, scope }, 0);
    }
    for (const op of REDIS_OPS) this.errors.inc({ op }, 0);
    this.redisUp.set(0);
  }
}
