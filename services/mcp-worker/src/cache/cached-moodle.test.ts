/**
 * The read-through cache against a real redis-server: hits, TTLs, token
 * scopes, invalidation by writes across workers, stale-if-error, size bounds.
 */
import { MoodleError } from '../moodle/errors.js';
import { waitFor } from '../../../../test/helpers/wait.js';
import { useRedisTestbed } from './redisTestbed.js';
import { CacheHarness, metricValue, TEST_TOKEN } from './testkit.js';

const COURSES = 'core_course_get_courses';
const SUBMISSIONS = 'mod_assign_get_submissions';
const SAVE_GRADE = 'mod_assign_save_grade';

/** Redis, and a harness with a fresh key prefix before each test. */
const t = useRedisTestbed('t', { harnessPerTest: true });

describe('read-through cache', () => {
  it('answers a repeated read from Redis without calling Moodle again', async () => {
    const { cache, registry } = await t.readyWorker();
    const first = await cache.callWithMeta(COURSES, { options: { ids: [2, 3] } });
    const second = await cache.callWithMeta(COURSES, { options: { ids: [2, 3] } });
    expect(first.cache).toBe('miss');
    expect(second).toEqual({ value: first.value, cache: 'hit', ageSeconds: 0 });
    expect(t.harness.moodle.count(COURSES)).toBe(1);
    expect(await metricValue(registry, 'mcp_cache_lookups_total', { function: COURSES, result: 'hit' })).toBe(1);
    expect(await metricValue(registry, 'mcp_cache_lookups_total', { function: COURSES, result: 'miss' })).toBe(1);
    expect(await metricValue(registry, 'mcp_cache_stored_bytes_total')).toBeGreaterThan(0);
  });

  it('treats the same parameters in another key order as the same request', async () => {
    const { cache } = await t.readyWorker();
    await cache.call(SUBMISSIONS, { assignmentids: [7], status: 'submitted' });
    const again = await cache.callWithMeta(SUBMISSIONS, { status: 'submitted', assignmentids: [7] });
    expect(again.cache).toBe('hit');
    expect(t.harness.moodle.count()).toBe(1);
  });

  it("calls Moodle again once the function's TTL has passed, and reports the age of hits", async () => {
    const { cache } = await t.readyWorker({ config: { CACHE_TTL_OVERRIDES: { [COURSES]: 10 } } });
    await cache.call(COURSES, {});
    t.harness.clock.advance(9);
    expect(await cache.callWithMeta(COURSES, {})).toMatchObject({ cache: 'hit', ageSeconds: 9 });
    t.harness.clock.advance(2);
    expect(await cache.callWithMeta(COURSES, {})).toMatchObject({ cache: 'miss', ageSeconds: 0 });
    expect(t.harness.moodle.count(COURSES)).toBe(2);
  });

  it('never caches a function whose TTL is 0', async () => {
    const { cache } = await t.readyWorker({ config: { CACHE_TTL_OVERRIDES: { [COURSES]: 0 } } });
    expect((await cache.callWithMeta(COURSES, {})).cache).toBe('bypass');
    expect((await cache.callWithMeta(COURSES, {})).cache).toBe('bypass');
    expect(t.harness.moodle.count(COURSES)).toBe(2);
  });

  it('keeps the answers of different tokens apart', async () => {
    const teacherA = await t.readyWorker({ token: TEST_TOKEN });
    const teacherB = await t.readyWorker({ token: 'token-of-teacher-b-fedcba9876543210' });
    await teacherA.cache.call(COURSES, {});
    expect((await teacherB.cache.callWithMeta(COURSES, {})).cache).toBe('miss');
    expect((await teacherA.cache.callWithMeta(COURSES, {})).cache).toBe('hit');
    expect(t.harness.moodle.count(COURSES)).toBe(2);
  });

  it('never writes the token to Redis, in keys or values', async () => {
    const { cache } = await t.readyWorker();
    await cache.call(COURSES, { token: 'not-the-token' });
    const keys = await t.raw.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    const values = await Promise.all(keys.map((k) => t.raw.type(k).then((type) => (type === 'string' ? t.raw.get(k) : ''))));
    expect([...keys, ...values].join('\n')).not.toContain(TEST_TOKEN);
  });

  it('does not store answers larger than CACHE_MAX_ENTRY_BYTES and counts them as bypass', async () => {
    const { cache, registry } = await t.readyWorker({ config: { CACHE_MAX_ENTRY_BYTES: 2048 } });
    t.harness.moodle.answer = () => ({ html: 'x'.repeat(4096) });
    expect((await cache.callWithMeta(COURSES, {})).cache).toBe('bypass');
    expect((await cache.callWithMeta(COURSES, {})).cache).toBe('bypass');
    expect(t.harness.moodle.count(COURSES)).toBe(2);
    expect(await metricValue(registry, 'mcp_cache_lookups_total', { function: COURSES, result: 'bypass' })).toBe(2);
    expect(await metricValue(registry, 'mcp_cache_stored_bytes_total')).toBe(0);
  });
});

describe('writes', () => {
  it('always go to Moodle, are never cached, and report bypass', async () => {
    const { cache } = await t.readyWorker();
    const grade = { assignmentid: 7, userid: 5, grade: 8 };
    expect((await cache.callWithMeta(SAVE_GRADE, grade, { write: true })).cache).toBe('bypass');
    expect((await cache.callWithMeta(SAVE_GRADE, grade, { write: true })).cache).toBe('bypass');
    expect(t.harness.moodle.count(SAVE_GRADE)).toBe(2);
  });

  it("invalidate a function's answers for every worker and every token scope at once", async () => {
    const w1 = await t.readyWorker();
    const w2 = await t.readyWorker();
    const otherTeacher = await t.readyWorker({ token: 'token-of-teacher-b-fedcba9876543210' });
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
    const w1 = await t.readyWorker();
    const w2 = await t.readyWorker();
    await w1.cache.call(SUBMISSIONS, { assignmentids: [7] });
    await w1.cache.call(SUBMISSIONS, { assignmentids: [8] });

    await w2.cache.call(SAVE_GRADE, { assignmentid: 7 }, { write: true, invalidates: [{ wsfunction: SUBMISSIONS, params: { assignmentids: [7] } }] });

    expect((await w1.cache.callWithMeta(SUBMISSIONS, { assignmentids: [7] })).cache).toBe('miss');
    expect((await w1.cache.callWithMeta(SUBMISSIONS, { assignmentids: [8] })).cache).toBe('hit');
  });

  it('invalidate also when Moodle rejects the write, since it may have been applied', async () => {
    const { cache } = await t.readyWorker();
    await cache.call(SUBMISSIONS, { assignmentids: [7] });
    t.harness.moodle.failNext(new MoodleError('timeout', SAVE_GRADE, 'Moodle did not answer within 15000 ms'), 1);
    await expect(cache.call(SAVE_GRADE, {}, { write: true, invalidates: [{ wsfunction: SUBMISSIONS }] })).rejects.toMatchObject({ kind: 'timeout' });
    expect((await cache.callWithMeta(SUBMISSIONS, { assignmentids: [7] })).cache).toBe('miss');
  });

  it('make a read that started before the write unable to store its old answer', async () => {
    const w1 = await t.readyWorker();
    const w2 = await t.readyWorker();
    const params = { assignmentids: [7] };
    const release = t.harness.moodle.hold(1);
    const before = w1.cache.callWithMeta<{ version: number }>(SUBMISSIONS, params);
    await waitFor('the first read to reach Moodle', () => t.harness.moodle.count(SUBMISSIONS) === 1);

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
    const w = await t.readyWorker({ config: { CACHE_TTL_OVERRIDES: { [COURSES]: ttl }, CACHE_STALE_MAX_AGE_SECONDS: staleMax } });
    await w.cache.call(COURSES, {});
    return w;
  }

  it('serves an expired entry marked stale, with its age, when Moodle fails transiently', async () => {
    const { cache, registry } = await cachedThenExpired();
    t.harness.clock.advance(50);
    t.harness.moodle.failNext(unreachable());
    const meta = await cache.callWithMeta<{ version: number }>(COURSES, {});
    expect(meta).toEqual({ value: expect.objectContaining({ version: 1 }), cache: 'stale', ageSeconds: 50 });
    expect(await metricValue(registry, 'mcp_cache_lookups_total', { function: COURSES, result: 'stale' })).toBe(1);
  });

  it('passes a non-transient Moodle error on instead of serving stale data', async () => {
    const { cache } = await cachedThenExpired();
    t.harness.clock.advance(50);
    t.harness.moodle.failNext(new MoodleError('invalid_token', COURSES, 'Invalid token - token not found'));
    await expect(cache.call(COURSES, {})).rejects.toMatchObject({ kind: 'invalid_token' });
  });

  it('passes the error on once the entry is older than TTL + CACHE_STALE_MAX_AGE_SECONDS', async () => {
    const { cache } = await cachedThenExpired(10, 100);
    t.harness.clock.advance(111);
    t.harness.moodle.failNext(unreachable());
    await expect(cache.call(COURSES, {})).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('passes the error on when nothing was cached', async () => {
    const { cache } = await t.readyWorker();
    t.harness.moodle.failNext(unreachable());
    await expect(cache.call(COURSES, {})).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('never caches an error: the next call asks Moodle again', async () => {
    const { cache } = await t.readyWorker();
    t.harness.moodle.failNext(unreachable(), 1);
    await expect(cache.call(COURSES, {})).rejects.toBeInstanceOf(MoodleError);
    expect((await cache.callWithMeta(COURSES, {})).cache).toBe('miss');
    expect(t.harness.moodle.count(COURSES)).toBe(2);
  });
});

describe('metrics', () => {
  it('start every known label set at zero and report Redis as up', async () => {
    const { registry } = await t.readyWorker();
    const text = await registry.metrics();
    expect(text).toContain(`mcp_cache_lookups_total{function="${SUBMISSIONS}",result="stale"} 0`);
    expect(text).toContain(`mcp_cache_coalesced_total{function="${COURSES}",scope="redis"} 0`);
    expect(text).toContain('mcp_cache_errors_total{op="lookup"} 0');
    expect(text).toContain('mcp_cache_redis_up 1');
  });
});
