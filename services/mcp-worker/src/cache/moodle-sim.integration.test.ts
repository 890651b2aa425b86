/**
 * The cache with the real Moodle client against the Moodle simulator and a
 * real redis-server, counting the requests that reach "Moodle" with the
 * simulator's own statistics: two workers, one Moodle request.
 */
import { Registry } from 'prom-client';
import { SEED, startSim, type SimHandle } from '@moodle-mcp/moodle-sim';
import { captureLogger } from '../../../../test/helpers/captureLogger.js';
import { startRedis, type TestRedis } from '../../../../test/helpers/redis.js';
import { waitFor } from '../../../../test/helpers/wait.js';
import { MoodleClient } from '../moodle/client.js';
import { createCache, type CachedMoodle } from './index.js';
import { cacheConfig } from './testkit.js';

let redis: TestRedis;
let sim: SimHandle;
const clients: MoodleClient[] = [];
const workers: CachedMoodle[] = [];

beforeAll(async () => {
  redis = await startRedis();
  // Some latency, as a real Moodle has: concurrent requests overlap.
  sim = await startSim({ port: 0, latencyMs: 50 });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  for (const c of clients) c.close();
  await sim?.stop();
  await redis?.stop();
});

async function worker(): Promise<CachedMoodle> {
  const client = new MoodleClient({ baseUrl: sim.url, token: sim.token, retries: 0 });
  clients.push(client);
  const cache = createCache({
    inner: client,
    baseUrl: sim.url,
    token: sim.token,
    config: cacheConfig({ REDIS_URL: redis.url }),
    logger: captureLogger('mcp-worker').logger,
    registry: new Registry(),
  });
  workers.push(cache);
  await waitFor('the worker to connect to Redis', () => cache.available);
  return cache;
}

const requests = (wsfunction: string) => sim.stats().byFunction[wsfunction] ?? 0;

interface Grades {
  assignments: { assignmentid: number; grades: { userid: number; grade: string }[] }[];
}

it('answers 20 concurrent identical reads on two workers with one Moodle request', async () => {
  const [w1, w2] = [await worker(), await worker()];
  const calls = [w1, w2].flatMap((w) => Array.from({ length: 10 }, () => w.callWithMeta('core_course_get_courses', {})));
  const results = await Promise.all(calls);
  expect(requests('core_course_get_courses')).toBe(1);
  expect(new Set(results.map((r) => JSON.stringify(r.value))).size).toBe(1);
  expect((await w2.callWithMeta('core_course_get_courses', {})).cache).toBe('hit');
});

it('shows a grade saved through one worker on the next read through the other', async () => {
  const [w1, w2] = [await worker(), await worker()];
  const params = { assignmentids: [SEED.assignmentId] };
  const gradeOf = (g: Grades) => g.assignments[0]?.grades.find((x) => x.userid === SEED.ungradedStudentId)?.grade;

  const before = await w2.call<Grades>('mod_assign_get_grades', params);
  await w1.call<Grades>('mod_assign_get_grades', params);
  expect(requests('mod_assign_get_grades')).toBe(1);
  expect(Number(gradeOf(before) ?? -1)).not.toBe(55);

  await w1.call(
    'mod_assign_save_grade',
    { assignmentid: SEED.assignmentId, userid: SEED.ungradedStudentId, grade: 55, attemptnumber: -1, addattempt: false, workflowstate: '', applytoall: true },
    { write: true, invalidates: [{ wsfunction: 'mod_assign_get_grades', params }] },
  );

  const after = await w2.callWithMeta<Grades>('mod_assign_get_grades', params);
  expect(after.cache).toBe('miss');
  expect(Number(gradeOf(after.value))).toBe(55);
  expect(requests('mod_assign_get_grades')).toBe(2);
});
