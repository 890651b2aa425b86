/**
 * The worker's near cache against a real redis-server: hot reads answered
 * from memory without a Redis round trip, and never an answer a write has
 * replaced — Redis's key-change notices (CLIENT TRACKING) reach every worker,
 * the writer drops its own copy at once, and whenever a notice could be
 * missed (notice connection or Redis lost, FLUSHALL) the near cache empties.
 */
import { waitFor } from '../../../../test/helpers/wait.js';
import { useRedisTestbed } from './redisTestbed.js';
import { CacheHarness, metricValue, type TestWorker } from './testkit.js';

const COURSES = 'core_course_get_courses';
const SAVE_GRADE = 'mod_assign_save_grade';

const t = useRedisTestbed('n', { harnessPerTest: true });

const localHits = async (w: TestWorker) => (await metricValue(w.registry, 'mcp_cache_local_hits_total', { function: COURSES })) ?? 0;
const localBytes = async (w: TestWorker) => (await metricValue(w.registry, 'mcp_cache_local_bytes')) ?? 0;
/** Lookups Redis has run (the cache's lookup script), from Redis's own statistics. */
const redisLookups = async () => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await t.raw.info('commandstats'))?.[1] ?? 0);
const version = async (w: TestWorker) => ((await w.cache.call(COURSES, {})) as { version: number }).version;

/** A worker whose near cache holds COURSES (it answered one read from memory). */
async function warmWorker(): Promise<TestWorker> {
  const w = t.harness.worker();
  await waitFor('the worker to connect to Redis', () => w.cache.available);
  await waitFor('a read answered from the near cache', async () => {
    await w.cache.call(COURSES, {});
    return (await localHits(w)) > 0;
  });
  return w;
}

it('answers repeated reads from memory: no Redis round trip, one Moodle call', async () => {
  const w = await warmWorker();
  const [lookups, hits] = [await redisLookups(), await localHits(w)];
  for (let i = 0; i < 50; i++) expect((await w.cache.callWithMeta(COURSES, {})).cache).toBe('hit');
  expect(await redisLookups()).toBe(lookups);
  expect((await localHits(w)) - hits).toBe(50);
  expect(t.harness.moodle.count(COURSES)).toBe(1);
  expect(await localBytes(w)).toBeGreaterThan(0);
});

it("a write is seen at once by the writer's next read, and by the other workers once Redis's notice arrives", async () => {
  const [a, b] = [await warmWorker(), await warmWorker()];
  expect(await version(a)).toBe(1);
  await b.cache.call(SAVE_GRADE, { assignmentid: 7, userid: 5, grade: 8 }, { write: true, invalidates: [{ wsfunction: COURSES }] });
  // The writer: no wait at all.
  expect(await version(b)).toBe(2);
  // The other worker: its copy goes when the notice arrives (milliseconds), not at its TTL.
  await waitFor("worker A's near cache to drop the replaced answer", async () => (await localBytes(a)) === 0);
  expect(await version(a)).toBe(2);
  expect(t.harness.moodle.count(COURSES)).toBe(2);
});

it('empties and stops answering from memory when its notice connection is lost; a write meanwhile is not missed', async () => {
  const [a, b] = [await warmWorker(), await warmWorker()];
  await t.raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
  await waitFor('worker A to empty its near cache', async () => (await localBytes(a)) === 0);
  await b.cache.call(SAVE_GRADE, { assignmentid: 7 }, { write: true, invalidates: [{ wsfunction: COURSES }] });
  expect(await version(a)).toBe(2);
  // Once the notice connection is back, the near cache serves again.
  await waitFor('worker A to answer from memory again', async () => {
    const before = await localHits(a);
    await a.cache.call(COURSES, {});
    return (await localHits(a)) > before;
  });
  expect(await version(a)).toBe(2);
});

it('empties on FLUSHALL (a notice without keys)', async () => {
  const w = await warmWorker();
  await t.raw.flushall();
  await waitFor('the near cache to empty', async () => (await localBytes(w)) === 0);
  expect((await w.cache.callWithMeta(COURSES, {})).cache).toBe('miss');
});

it('serves nothing from memory once Redis is gone (calls go to Moodle), and serves again once Redis is back', async () => {
  const w = await warmWorker();
  await t.redis.kill();
  try {
    await waitFor('the worker to see Redis gone', () => !w.cache.available);
    expect((await w.cache.callWithMeta(COURSES, {})).cache).toBe('bypass');
    expect(await localBytes(w)).toBe(0);
  } finally {
    await t.redis.restart();
  }
  // A new Redis process: the worker reconnects, turns tracking on again, and the near cache fills anew.
  const hits = await localHits(w);
  await waitFor('the near cache to answer again after the restart', async () => {
    await w.cache.call(COURSES, {});
    return (await localHits(w)) > hits;
  });
});
