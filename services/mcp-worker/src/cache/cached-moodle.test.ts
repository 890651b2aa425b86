/**
 * The read-through cache against a real redis-server: hits, TTLs, token
 * scopes, invalidation by writes across workers, stale-if-error, size bounds.
 */
import { Redis } from 'ioredis';
import { MoodleError } from '../moodle/errors.js';
import { captureLogger } from '../../../../test/helpers/captureLogger.js';
import { startRedis, type TestRedis } from '../../../../test/helpers/redis.js';
import { waitFor } from '../../../../test/helpers/wait.js';
import { CacheHarness, metricValue, TEST_TOKEN } from './testkit.js';

const COURSES = 'core_course_get_courses';
const SUBMISSIONS = 'mod_assign_get_submissions';
const SAVE_GRADE = 'mod_assign_save_grade';

let redis: TestRedis;
let raw: Redis;
let harness: CacheHarness;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
});
afterAll(async () => {
  raw?.disconnect();
  await redis?.stop();
});

beforeEach(() => {
  const { logger } = captureLogger('mcp-worker');
  // A fresh key prefix per test: tests never see each other's entries.
  harness = new CacheHarness({ config: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `t${++prefixes}` }, logger });
});
afterEach(() => harness.closeAll());

/** A worker whose Redis connection is up. */
async function readyWorker(...args: Parameters<CacheHarness['worker']>) {
  const w = harness.worker(...args);
  await waitFor('the worker to connect to Redis', () => w.cache.available);
  return w;
}

describe('read-through cache', () => {
  it('answers a repeated read from Redis without calling Moodle again', async () => {
    const { cache, registry } = await readyWorker();
    const first = await cache.callWithMeta(COURSES, { options: { ids: [2, 3] } });
    const second = await cache.callWithMeta(COURSES, { options: { ids: [2, 3] } });
    expect(first.cache).toBe('miss');
    expect(second).toEqual({ value: first.value, cache: 'hit', ageSeconds: 0 });
    expect(harness.moodle.count(COURSES)).toBe(1);
    expect(await metricValue(registry, 'mcp_cache_lookups_total', { function: COURSES, result: 'hit' })).toBe(1);
    expect(await metricValue(registry, 'mcp_cache_lookups_total', { function: COURSES, result: 'miss' })).toBe(1);
    expect(await metricValue(registry, 'mcp_cache_stored_bytes_total')).toBeGreaterThan(0);
  });

  it('treats the same parameters in another key order as the same request', async () => {
    const { cache } = await readyWorker();
    await cache.call(SUBMISSIONS, { assignmentids: [7], status: 'submitted' });
    const again = await cache.callWithMeta(SUBMISSIONS, { status: 'submitted', assignmentids: [7] });
    expect(again.cache).toBe('hit');
    expect(harness.moodle.count()).toBe(1);
  });

  it("calls Moodle again once the function's TTL has passed, and reports the age of hits", async () => {
    const { cache } = await readyWorker({ config: { CACHE_TTL_OVERRIDES: { [COURSES]: 10 } } });
    await cache.call(COURSES, {});
    harness.clock.advance(9);
    expect(await cache.callWithMeta(COURSES, {})).toMatchObject({ cache: 'hit', ageSeconds: 9 });
    harness.clock.advance(2);
    expect(await cache.callWithMeta(COURSES, {})).toMatchObject({ cache: 'miss', ageSeconds: 0 });
    expect(harness.moodle.count(COURSES)).toBe(2);
  });

  it('never caches a function whose TTL is 0', async () => {
    const { cache } = await readyWorker({ config: { CACHE_TTL_OVERRIDES: { [COURSES]: 0 } } });
    expect((await cache.callWithMeta(COURSES, {})).cache).toBe('bypass');
    expect((await cache.callWithMeta(COURSES, {})).cache).toBe('bypass');
    expect(harness.moodle.count(COURSES)).toBe(2);
  });

  it('keeps the answers of different tokens apart', async () => {
    const teacherA = await readyWorker({ token: TEST_TOKEN });
    const teacherB = await readyWorker({ token: 'token-of-teacher-b-fedcba9876543210' });
    await teacherA.cache.call(COURSES, {});
    expect((await teacherB.cache.callWithMeta(COURSES, {})).cache).toBe('miss');
    expect((await teacherA.cache.callWithMeta(COURSES, {})).cache).toBe('hit');
    expect(harness.moodle.count(COURSES)).toBe(2);
  });

  it('never writes the token to Redis, in keys or values', async () => {
    const { cache } = await readyWorker();
    await cache.call(COURSES, { token: 'not-the-token' });
    const keys = await raw.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    const values = await Promise.all(keys.map((k) => raw.type(k).then((t) => (t === 'string' ? raw.get(k) : ''))));
    expect([...keys, ...values].join('\n')).not.toContain(TEST_TOKEN);
  });

  it('does not store answers larger than CACHE_MAX_ENTRY_BYTES and counts them as bypass', async () => {
    const { cache, registry } = await readyWorker({ config: { CACHE_MAX_ENTRY_BYTES: 2048 } });
    harness.moodle.answer = () => ({ html: 'x'.repeat(4096) });
    expect((await cache.callWithMeta(COURSES, {})).cache).toBe('bypass');
    expect((await cache.callWithMeta(COURSES, {})).cache).toBe('bypass');
    expect(harness.moodle.count(COURSES)).toBe(2);
    expect(await metricValue(registry, 'mcp_cache_lookups_total', { function: COURSES, result: 'bypass' })).toBe(2);
    expect(await metricValue(registry, 'mcp_cache_stored_bytes_total')).toBe(0);
  });
});

describe('writes', () => {
  it('always go to Moodle, are never cached, and report bypass', async () => {
    const { cache } = await readyWorker();
    const grade = { assignmentid: 7, userid: 5, grade: 8 };
    expect((await cache.callWithMeta(SAVE_GRADE, grade, { write: true })).cache).toBe('bypass');
    expect((await cache.callWithMeta(SAVE_GRADE, grade, { write: true })).cache).toBe('bypass');
    expect(harness.moodle.count(SAVE_GRADE)).toBe(2);
  });

  it("invalidate a function's answers for every worker and every token scope at once", async () => {
    const w1 = await readyWorker();
    const w2 = await readyWorker();
    const otherTeacher = await readyWorker({ token: 'token-of-teacher-b-fedcba9876543210' });
    const params = { assignmentids: [7] };
    await w1.cache.call(SUBMISSIONS, params);
    await otherTeacher.cache.call(SUBMISSIONS, params);
    expect((await w2.cache.callWithMeta(SUBMISSIONS, params)).cache).toBe('hit');

    await w1.cache.call(SAVE_GRADE, { assignmentid: 7, userid: 5, grade: 8 }, { write: true, invalidates: [{ wsfunction: SUBMISSIONS }] });

    const onW2 = await w2.cache.callWithMeta<{ version: number }>(SUBMISSIONS, params);
    expect(onW2).toMatchObject({ cache: 'miss', value: { version: 2 } });
    expect((await otherTeacher.cache.callWithMeta<{ version: number }>(SUBMISSIONS, params)).value.version).toBe(2);
    expect((await w1.cache.callWithMeta<{ version: number }>(SUBMISSIONS, params)).cache).toBe('hit');
  });

  it('invalidate only the answers for the given parameters when the write names them', async () => {
    const w1 = await readyWorker();
    const w2 = await readyWorker();
    await w1.cache.call(SUBMISSIONS, { assignmentids: [7] });
    await w1.cache.call(SUBMISSIONS, { assignmentids: [8] });

    await w2.cache.call(SAVE_GRADE, { assignmentid: 7 }, { write: true, invalidates: [{ wsfunction: SUBMISSIONS, params: { assignmentids: [7] } }] });

    expect((await w1.cache.callWithMeta(SUBMISSIONS, { assignmentids: [7] })).cache).toBe('miss');
    expect((await w1.cache.callWithMeta(SUBMISSIONS, { assignmentids: [8] })).cache).toBe('hit');
  });

  it('invalidate also when Moodle rejects the write, since it may have been applied', async () => {
    const { cache } = await readyWorker();
    await cache.call(SUBMISSIONS, { assignmentids: [7] });
    harness.moodle.failNext(new MoodleError('timeout', SAVE_GRADE, 'Moodle did not answer within 15000 ms'), 1);
    await expect(cache.call(SAVE_GRADE, {}, { write: true, invalidates: [{ wsfunction: SUBMISSIONS }] })).rejects.toMatchObject({ kind: 'timeout' });
    expect((await cache.callWithMeta(SUBMISSIONS, { assignmentids: [7] })).cache).toBe('miss');
  });

  it('make a read that started before the write unable to store its old answer', async () => {
    const w1 = await readyWorker();
    const w2 = await readyWorker();
    const params = { assignmentids: [7] };
    const release = harness.moodle.hold(1);
    const before = w1.cache.callWithMeta<{ version: number }>(SUBMISSIONS, params);
    await waitFor('the first read to reach Moodle', () => harness.moodle.count(SUBMISSIONS) === 1);

    await w2.cache.call(SAVE_GRADE, {}, { write: true, invalidates: [{ wsfunction: SUBMISSIONS }] });
    // A read after the write does not wait for the older fill and sees the new state.
    expect((await w2.cache.callWithMeta<{ version: number }>(SUBMISSIONS, params)).value.version).toBe(2);

    release();
    expect((await before).value.version).toBe(1);
    expect(await w1.cache.callWithMeta<{ version: number }>(SUBMISSIONS, params)).toMatchObject({ cache: 'hit', value: { version: 2 } });
  });
});

describe('stale-if-error', () => {
  const unreachable = () => new MoodleError('unreachable', COURSES, 'Moodle is unreachable (connection refused)');

  async function cachedThenExpired(ttl = 10, staleMax = 100) {
    const w = await readyWorker({ config: { CACHE_TTL_OVERRIDES: { [COURSES]: ttl }, CACHE_STALE_MAX_AGE_SECONDS: staleMax } });
    await w.cache.call(COURSES, {});
    return w;
  }

  it('serves an expired entry marked stale, with its age, when Moodle fails transiently', async () => {
    const { cache, registry } = await cachedThenExpired();
    harness.clock.advance(50);
    harness.moodle.failNext(unreachable());
    const meta = await cache.callWithMeta<{ version: number }>(COURSES, {});
    expect(meta).toEqual({ value: expect.objectContaining({ version: 1 }), cache: 'stale', ageSeconds: 50 });
    expect(await metricValue(registry, 'mcp_cache_lookups_total', { function: COURSES, result: 'stale' })).toBe(1);
  });

  it('passes a non-transient Moodle error on instead of serving stale data', async () => {
    const { cache } = await cachedThenExpired();
    harness.clock.advance(50);
    harness.moodle.failNext(new MoodleError('invalid_token', COURSES, 'Invalid token - token not found'));
    await expect(cache.call(COURSES, {})).rejects.toMatchObject({ kind: 'invalid_token' });
  });

  it('passes the error on once the entry is older than TTL + CACHE_STALE_MAX_AGE_SECONDS', async () => {
    const { cache } = await cachedThenExpired(10, 100);
    harness.clock.advance(111);
    harness.moodle.failNext(unreachable());
    await expect(cache.call(COURSES, {})).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('passes the error on when nothing was cached', async () => {
    const { cache } = await readyWorker();
    harness.moodle.failNext(unreachable());
    await expect(cache.call(COURSES, {})).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('never caches an error: the next call asks Moodle again', async () => {
    const { cache } = await readyWorker();
    harness.moodle.failNext(unreachable(), 1);
    await expect(cache.call(COURSES, {})).rejects.toBeInstanceOf(MoodleError);
    expect((await cache.callWithMeta(COURSES, {})).cache).toBe('miss');
    expect(harness.moodle.count(COURSES)).toBe(2);
  });
});

describe('metrics', () => {
  it('start every known label set at zero and report Redis as up', async () => {
    const { registry } = await readyWorker();
    const text = await registry.metrics();
    expect(text).toContain(`mcp_cache_lookups_total{function="${SUBMISSIONS}",result="stale"} 0`);
    expect(text).toContain(`mcp_cache_coalesced_total{function="${COURSES}",scope="redis"} 0`);
    expect(text).toContain('mcp_cache_errors_total{op="lookup"} 0');
    expect(text).toContain('mcp_cache_redis_up 1');
  });
});
