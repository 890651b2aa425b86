/**
 * The worker's shared response cache in front of Moodle.
 *
 *   const moodle = createCache({ inner: new MoodleClient(...), baseUrl, token, config, logger, registry });
 *   const { value, cache, ageSeconds } = await moodle.callWithMeta('core_course_get_courses', {});
 *   ...
 *   moodle.close(); // at shutdown
 *
 * Several Moodle sites/tokens in one worker: `new CacheStore(...)` once, then
 * `store.wrap(inner, { baseUrl, token })` per token, and `store.close()`.
 */
import type { MoodleApi } from '../moodle/types.js';
import { CacheStore, type CacheStoreOptions } from './cache-store.js';
import { CachedMoodle } from './cached-moodle.js';

export interface CreateCacheOptions extends CacheStoreOptions {
  /** The real Moodle client the cache protects. */
  inner: MoodleApi;
  /** MOODLE_URL: part of every key, so two sites never share entries. */
  baseUrl: string;
  /** Secret. Only its SHA-256 is used (as the permission scope of entries). */
  token: string;
}

/** A cached MoodleApi with its own Redis connections; `close()` releases them. */
export function createCache(opts: CreateCacheOptions): CachedMoodle {
  const store = new CacheStore(opts);
  return new CachedMoodle(opts.inner, store, { baseUrl: opts.baseUrl, token: opts.token }, () => store.close());
}

export { CacheStore, type CacheStoreOptions, type CacheTuning } from './cache-store.js';
export { CachedMoodle, type CacheStatus, type CallMeta, type Invalidation } from './cached-moodle.js';
export { cacheEnvShape, cacheEnvSchema, cacheSecrets, parseTtlOverrides, type CacheConfig } from './config.js';
export { DEFAULT_TTL_SECONDS, TtlPolicy } from './ttl.js';
export { CacheKeys, canonicalJson, KEY_VERSION } from './keys.js';
export type { CacheLogger } from './redis-link.js';
