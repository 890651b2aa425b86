/**
 * Redis is an optimization, not a dependency: with a real redis-server that
 * is killed, restarted, stalled (SIGSTOP), unreachable or refusing our
 * password, every call still succeeds through Moodle, each outage is logged
 * once, and caching resumes by itself.
 */
import { captureLogger } from '../../../../test/helpers/captureLogger.js';
import { freePort, startRedis, type TestRedis } from '../../../../test/helpers/redis.js';
import { TcpRelay } from '../../../../test/helpers/tcpRelay.js';
import { waitFor } from '../../../../test/helpers/wait.js';
import type { MoodleParams } from '../moodle/types.js';
import type { CacheConfig } from './config.js';
import { CacheHarness, metricValue } from './testkit.js';

const COURSES = 'core_course_get_courses';
const SUBMISSIONS = 'mod_assign_get_submissions';

let redis: TestRedis | undefined;
let harness: CacheHarness | undefined;
let log: ReturnType<typeof captureLogger>;

afterEach(async () => {
  await harness?.closeAll();
  harness = undefined;
  await redis?.stop();
  redis = undefined;
});

function newHarness(config: Partial<CacheConfig>) {
  log = captureLogger('mcp-worker', [config.REDIS_PASSWORD ?? 'no-password-set']);
  return (harness = new CacheHarness({ config, logger: log.logger }));
}

const warnings = () => log.lines.filter((l) => l.level === 'warn').map((l) => String(l.message));
const infos = () => log.lines.filter((l) => l.level === 'info').map((l) => String(l.message));

/** Runs `n` different reads one after another; resolves with how many failed. */
async function readMany(call: (fn: string, params: MoodleParams) => Promise<unknown>, n: number): Promise<number> {
  let failed = 0;
  for (let i = 0; i < n; i++) await call(SUBMISSIONS, { assignmentids: [i] }).catch(() => failed++);
  return failed;
}

it('keeps answering while Redis is killed and restarted: one warning, one recovery, caching resumes', async () => {
  redis = await startRedis();
  const h = newHarness({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'outage' });
  const { cache, registry } = h.worker();
  await waitFor('the first connection', () => cache.available);
  await cache.call(COURSES, {});
  expect((await cache.callWithMeta(COURSES, {})).cache).toBe('hit');

  await redis.kill();
  const call = (fn: string, params: MoodleParams) => cache.call(fn, params);
  expect(await readMany(call, 20)).toBe(0);
  expect((await cache.callWithMeta(COURSES, {})).cache).toBe('bypass');
  expect(cache.available).toBe(false);
  expect(await metricValue(registry, 'mcp_cache_redis_up')).toBe(0);
  // ioredis keeps trying to reconnect; that is not a new outage.
  await waitFor('several reconnect attempts', async () => ((await metricValue(registry, 'mcp_cache_errors_total', { op: 'connection' })) ?? 0) >= 3);
  expect(await readMany(call, 20)).toBe(0);

  await redis.restart();
  await waitFor('the reconnection', () => cache.available);
  expect(await metricValue(registry, 'mcp_cache_redis_up')).toBe(1);
  expect((await cache.callWithMeta(COURSES, {})).cache).toBe('miss');
  expect((await cache.callWithMeta(COURSES, {})).cache).toBe('hit');

  expect(warnings()).toEqual(['cache Redis unavailable; calls go to Moodle uncached until it is back']);
  expect(infos().filter((m) => m.includes('available again'))).toHaveLength(1);
});

it('works uncached when Redis is down at start, and starts caching once it is up', async () => {
  redis = await startRedis();
  await redis.kill();
  const h = newHarness({ REDIS_URL: redis.url });
  const { cache } = h.worker();
  await waitFor('the outage warning', () => warnings().length === 1);
  expect((await cache.callWithMeta(COURSES, {})).cache).toBe('bypass');
  expect((await cache.callWithMeta(COURSES, {})).cache).toBe('bypass');
  expect(h.moodle.count()).toBe(2);

  await redis.restart();
  await waitFor('the connection', () => cache.available);
  await cache.call(COURSES, {});
  expect((await cache.callWithMeta(COURSES, {})).cache).toBe('hit');
  expect(warnings()).toHaveLength(1);
});

it('bounds a stalled Redis by REDIS_COMMAND_TIMEOUT_MS, then skips it until it answers again', async () => {
  redis = await startRedis();
  const h = newHarness({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: 100 });
  const { cache, registry } = h.worker();
  await waitFor('the connection', () => cache.available);
  await cache.call(COURSES, {});

  redis.pause();
  const started = Date.now();
  expect((await cache.callWithMeta(COURSES, {})).cache).toBe('bypass');
  // One timed-out lookup (100 ms), not a hang; the generous bound only guards against a hang.
  expect(Date.now() - started).toBeLessThan(2000);
  expect(cache.available).toBe(false);
  const quick = Date.now();
  expect(await readMany((fn, p) => cache.call(fn, p), 10)).toBe(0);
  expect(Date.now() - quick).toBeLessThan(1000); // skipped during the cool-down, no timeouts
  expect(await metricValue(registry, 'mcp_cache_errors_total', { op: 'lookup' })).toBe(1);

  redis.resume();
  await waitFor('caching to resume', async () => (await cache.callWithMeta(COURSES, {})).cache === 'hit', { timeoutMs: 10_000, intervalMs: 100 });
  expect(warnings()).toHaveLength(1);
  expect(infos().filter((m) => m.includes('available again'))).toHaveLength(1);
});

it("applies a write's invalidations that could not reach Redis as soon as this worker reaches it again", async () => {
  redis = await startRedis();
  const link = await TcpRelay.start(redis);
  try {
    const h = newHarness({ REDIS_URL: redis.url });
    const writer = h.worker({ config: { REDIS_URL: `redis://127.0.0.1:${link.port}` } });
    const reader = h.worker();
    await waitFor('both connections', () => writer.cache.available && reader.cache.available);
    await reader.cache.call(SUBMISSIONS, { assignmentids: [7] });

    link.cut(); // only the writer loses Redis
    await waitFor('the writer to notice', () => !writer.cache.available);
    await writer.cache.call('mod_assign_save_grade', {}, { write: true, invalidates: [{ wsfunction: SUBMISSIONS }] });
    // The reader still has Redis and still sees the old answer: the write's invalidation is pending.
    expect(await reader.cache.callWithMeta(SUBMISSIONS, { assignmentids: [7] })).toMatchObject({ cache: 'hit', value: { version: 1 } });

    link.pass();
    await waitFor('the writer to reconnect', () => writer.cache.available);
    await waitFor('the reader to see the write', async () => (await reader.cache.call<{ version: number }>(SUBMISSIONS, { assignmentids: [7] })).version === 2);
  } finally {
    await link.close();
  }
});

it('never waits for an unreachable Redis', async () => {
  // A port with nothing listening: every connection attempt is refused.
  const h = newHarness({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
  const { cache } = h.worker();
  const started = Date.now();
  expect(await readMany((fn, p) => cache.call(fn, p), 20)).toBe(0);
  expect(Date.now() - started).toBeLessThan(2000);
  expect(cache.available).toBe(false);
  await waitFor('the outage warning', () => warnings().length === 1);
});

it('authenticates with REDIS_PASSWORD, and never logs the password', async () => {
  const password = 's3cret-redis-pass';
  redis = await startRedis({ password });
  const good = newHarness({ REDIS_URL: redis.url, REDIS_PASSWORD: password });
  const { cache } = good.worker();
  await waitFor('the connection', () => cache.available);
  await cache.call(COURSES, {});
  expect((await cache.callWithMeta(COURSES, {})).cache).toBe('hit');
  await good.closeAll();

  const bad = newHarness({ REDIS_URL: redis.url, REDIS_PASSWORD: 'wrong-password' });
  const refused = bad.worker();
  await waitFor('the outage warning', () => warnings().length === 1);
  expect((await refused.cache.callWithMeta(COURSES, {})).cache).toBe('bypass');
  expect(log.text()).not.toContain('wrong-password');
  expect(log.text()).not.toContain(password);
});
