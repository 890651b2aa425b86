/**
 * Request coalescing: concurrent identical misses cost Moodle one call,
 * within one worker and across workers sharing a real redis-server — and
 * every waiter gets a clean outcome when the filler fails or dies.
 */
import { MoodleError } from '../moodle/errors.js';
import { waitFor } from '../../../../test/helpers/wait.js';
import type { CacheConfig } from './config.js';
import { useRedisTestbed } from './redisTestbed.js';
import { CacheHarness, FakeMoodle, metricValue } from './testkit.js';

const COURSES = 'core_course_get_courses';

const t = useRedisTestbed('c');

/** How many SET commands Redis has run (SET NX is how a waiter claims a fill). */
async function setCalls(): Promise<number> {
  const info = await t.raw.info('commandstats');
  return Number(/cmdstat_set:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

describe('coalescing within one worker', () => {
  it('makes one Moodle call for N concurrent identical misses', async () => {
    t.newHarness();
    const { cache, registry } = await t.readyWorker();
    const release = t.harness.moodle.hold();
    const calls = Array.from({ length: 20 }, () => cache.callWithMeta(COURSES, { ids: [1] }));
    await waitFor('the fill to reach Moodle', () => t.harness.moodle.count() === 1);
    release();
    const results = await Promise.all(calls);
    expect(t.harness.moodle.count()).toBe(1);
    expect(results.filter((r) => r.cache === 'miss')).toHaveLength(1);
    expect(results.filter((r) => r.cache === 'coalesced')).toHaveLength(19);
    expect(new Set(results.map((r) => JSON.stringify(r.value))).size).toBe(1);
    expect(await metricValue(registry, 'mcp_cache_coalesced_total', { function: COURSES, scope: 'local' })).toBe(19);
  });

  it('also coalesces when the cache is disabled (no REDIS_URL)', async () => {
    t.newHarness({ REDIS_URL: undefined });
    const { cache } = t.harness.worker();
    const release = t.harness.moodle.hold();
    const calls = Array.from({ length: 5 }, () => cache.callWithMeta(COURSES, {}));
    await waitFor('the call to reach Moodle', () => t.harness.moodle.count() === 1);
    release();
    const results = await Promise.all(calls);
    expect(results.map((r) => r.cache).sort()).toEqual(['bypass', 'coalesced', 'coalesced', 'coalesced', 'coalesced']);
    expect(t.harness.moodle.count()).toBe(1);
    expect(cache.available).toBe(false);
  });

  it('gives every waiter the same error when the one Moodle call fails, and caches nothing', async () => {
    t.newHarness();
    const { cache } = await t.readyWorker();
    t.harness.moodle.failNext(new MoodleError('permission_denied', COURSES, 'Sorry, but you do not currently have permissions to do that'), 1);
    const release = t.harness.moodle.hold();
    const calls = Array.from({ length: 5 }, () => cache.call(COURSES, {}));
    await waitFor('the fill to reach Moodle', () => t.harness.moodle.count() === 1);
    release();
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as MoodleError).kind === 'permission_denied')).toBe(true);
    expect(t.harness.moodle.count()).toBe(1);
    expect((await cache.callWithMeta(COURSES, {})).cache).toBe('miss');
  });

  it('lets one caller cancel without failing the others, and cancels Moodle only when all have', async () => {
    t.newHarness();
    const { cache } = await t.readyWorker();
    const release = t.harness.moodle.hold();
    const impatient = new AbortController();
    const patient = new AbortController();
    const a = cache.call(COURSES, {}, { signal: impatient.signal });
    const b = cache.call(COURSES, {}, { signal: patient.signal });
    await waitFor('the fill to reach Moodle', () => t.harness.moodle.count() === 1);
    impatient.abort();
    await expect(a).rejects.toMatchObject({ kind: 'aborted' });
    release();
    await expect(b).resolves.toMatchObject({ version: 1 });
    expect(t.harness.moodle.cancelled).toBe(0);

    const release2 = t.harness.moodle.hold();
    const c = new AbortController();
    const d = new AbortController();
    const calls = [cache.call('core_enrol_get_users_courses', {}, { signal: c.signal }), cache.call('core_enrol_get_users_courses', {}, { signal: d.signal })];
    await waitFor('the second fill to reach Moodle', () => t.harness.moodle.count() === 2);
    c.abort();
    d.abort();
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    await waitFor('the Moodle call to be cancelled', () => t.harness.moodle.cancelled === 1);
    release2();
  });
});

describe('coalescing across workers', () => {
  it('makes one Moodle call for identical misses arriving on two workers', async () => {
    t.newHarness();
    const w1 = await t.readyWorker();
    const w2 = await t.readyWorker();
    const release = t.harness.moodle.hold();
    const onW1 = Array.from({ length: 5 }, () => w1.cache.callWithMeta(COURSES, {}));
    await waitFor('the fill to reach Moodle', () => t.harness.moodle.count() === 1);
    const sets = await setCalls();
    const onW2 = Array.from({ length: 5 }, () => w2.cache.callWithMeta(COURSES, {}));
    await waitFor('worker 2 to find the fill locked', async () => (await setCalls()) > sets);
    release();
    const results = [...(await Promise.all(onW1)), ...(await Promise.all(onW2))];
    expect(t.harness.moodle.count()).toBe(1);
    expect(results.filter((r) => r.cache === 'miss')).toHaveLength(1);
    expect(results.filter((r) => r.cache === 'coalesced')).toHaveLength(9);
    expect(await metricValue(w2.registry, 'mcp_cache_coalesced_total', { function: COURSES, scope: 'redis' })).toBe(1);
  });

  it('still coalesces when the fill notice is lost: waiters find the entry by polling', async () => {
    t.newHarness();
    const w1 = await t.readyWorker();
    const w2 = await t.readyWorker();
    const release = t.harness.moodle.hold();
    const onW1 = w1.cache.callWithMeta(COURSES, {});
    await waitFor('the fill to reach Moodle', () => t.harness.moodle.count() === 1);
    const sets = await setCalls();
    const onW2 = w2.cache.callWithMeta(COURSES, {});
    await waitFor('worker 2 to find the fill locked', async () => (await setCalls()) > sets);
    // Drop every subscribed connection: the notice of this fill reaches nobody.
    await t.raw.client('KILL', 'TYPE', 'PUBSUB');
    release();
    expect((await onW1).cache).toBe('miss');
    expect((await onW2).cache).toBe('coalesced');
    expect(t.harness.moodle.count()).toBe(1);
  });

  it("passes the filler's Moodle error to the other worker's waiters", async () => {
    t.newHarness();
    const w1 = await t.readyWorker();
    const w2 = await t.readyWorker();
    t.harness.moodle.failNext(new MoodleError('unreachable', COURSES, 'Moodle is unreachable (connection refused)'), 1);
    const release = t.harness.moodle.hold();
    const onW1 = w1.cache.call(COURSES, {});
    await waitFor('the fill to reach Moodle', () => t.harness.moodle.count() === 1);
    const sets = await setCalls();
    const onW2 = w2.cache.call(COURSES, {});
    await waitFor('worker 2 to find the fill locked', async () => (await setCalls()) > sets);
    release();
    await expect(onW1).rejects.toMatchObject({ kind: 'unreachable' });
    const err = await onW2.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MoodleError);
    expect(err).toMatchObject({ kind: 'unreachable', wsfunction: COURSES, transient: true });
    expect(t.harness.moodle.count()).toBe(1);
  });

  it('lets a waiter take over when the filler was cancelled', async () => {
    t.newHarness();
    const w1 = await t.readyWorker();
    const w2 = await t.readyWorker();
    const release = t.harness.moodle.hold(1);
    const cancel = new AbortController();
    const onW1 = w1.cache.call(COURSES, {}, { signal: cancel.signal });
    await waitFor('the fill to reach Moodle', () => t.harness.moodle.count() === 1);
    const sets = await setCalls();
    const onW2 = w2.cache.callWithMeta(COURSES, {});
    await waitFor('worker 2 to find the fill locked', async () => (await setCalls()) > sets);
    cancel.abort();
    await expect(onW1).rejects.toMatchObject({ kind: 'aborted' });
    await expect(onW2).resolves.toMatchObject({ cache: 'miss' });
    expect(t.harness.moodle.count()).toBe(2);
    release();
  });

  it('lets a waiter take over once the lock of a dead filler expires', async () => {
    t.newHarness({ CACHE_LOCK_TTL_MS: 300 });
    const hungMoodle = new FakeMoodle();
    const releaseHung = hungMoodle.hold();
    const doomed = await t.readyWorker({ inner: hungMoodle });
    const survivor = await t.readyWorker();
    const lost = doomed.cache.call(COURSES, {}).catch(() => 'lost');
    await waitFor('the doomed fill to reach Moodle', () => hungMoodle.count() === 1);
    await doomed.cache.close(); // the process "dies": no renewal, no release

    const started = Date.now();
    const meta = await survivor.cache.callWithMeta(COURSES, {});
    expect(meta.cache).toBe('miss');
    expect(t.harness.moodle.count()).toBe(1);
    // It waited for the lock to expire, not for CACHE_WAIT_TIMEOUT_MS (30 s).
    expect(Date.now() - started).toBeLessThan(5000);
    releaseHung();
    await lost;
  });

  it('stops waiting for a live but slow filler after CACHE_WAIT_TIMEOUT_MS and calls Moodle itself', async () => {
    t.newHarness({ CACHE_LOCK_TTL_MS: 5000, CACHE_WAIT_TIMEOUT_MS: 300 });
    const slowMoodle = new FakeMoodle();
    const releaseSlow = slowMoodle.hold();
    const slow = await t.readyWorker({ inner: slowMoodle });
    const impatient = await t.readyWorker();
    const first = slow.cache.call(COURSES, {});
    await waitFor('the slow fill to reach Moodle', () => slowMoodle.count() === 1);
    await expect(impatient.cache.callWithMeta(COURSES, {})).resolves.toMatchObject({ cache: 'miss' });
    expect(t.harness.moodle.count()).toBe(1);
    releaseSlow();
    await first;
  });
});
