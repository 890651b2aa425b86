/**
 * The cache tests' real Redis: one redis-server per test file (started before
 * its first test, stopped after its last), a plain client to look into it,
 * and per test a CacheHarness with a key prefix of its own, so tests never
 * see each other's entries. Registers jest hooks: call it once, at the top
 * of a test file.
 */
import { Redis } from 'ioredis';
import { captureLogger } from '../../../../test/helpers/captureLogger.js';
import { startRedis, type TestRedis } from '../../../../test/helpers/redis.js';
import { waitFor } from '../../../../test/helpers/wait.js';
import type { CacheTuning } from './cache-store.js';
import type { CacheConfig } from './config.js';
import { CacheHarness, type TestWorker } from './testkit.js';

export interface RedisTestbed {
  readonly redis: TestRedis;
  readonly raw: Redis;
  /** The running test's harness: the last `newHarness()`, or the one made before each test (`harnessPerTest`). */
  readonly harness: CacheHarness;
  newHarness(config?: Partial<CacheConfig>, tuning?: CacheTuning): CacheHarness;
  /** A worker of the current harness whose Redis connection is up. */
  readyWorker(...args: Parameters<CacheHarness['worker']>): Promise<TestWorker>;
}

export function useRedisTestbed(keyPrefix: string, opts: { harnessPerTest?: boolean } = {}): RedisTestbed {
  let redis: TestRedis | undefined;
  let raw: Redis | undefined;
  let harness: CacheHarness | undefined;
  let tests = 0;
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} is not set up yet (useRedisTestbed's hooks run around each test)`);
    return v;
  };
  const newHarness = (config: Partial<CacheConfig> = {}, tuning: CacheTuning = {}) => {
    const { logger } = captureLogger('mcp-worker');
    const url = need(redis, 'redis').url;
    return (harness = new CacheHarness({ config: { REDIS_URL: url, REDIS_KEY_PREFIX: `${keyPrefix}${++tests}`, ...config }, logger, tuning }));
  };
  beforeAll(async () => {
    redis = await startRedis();
    raw = new Redis(redis.url);
  });
  afterAll(async () => {
    raw?.disconnect();
    await redis?.stop();
  });
  if (opts.harnessPerTest) beforeEach(() => void newHarness());
  afterEach(async () => {
    await harness?.closeAll();
    harness = undefined;
  });
  return {
    get redis() {
      return need(redis, 'redis');
    },
    get raw() {
      return need(raw, 'raw');
    },
    get harness() {
      return need(harness, 'harness');
    },
    newHarness,
    async readyWorker(...args) {
      const w = need(harness, 'harness').worker(...args);
      await waitFor('the worker to connect to Redis', () => w.cache.available);
      return w;
    },
  };
}
