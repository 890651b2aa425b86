import { Redis } from 'ioredis';
import { SEED, startSim, type SimHandle } from '@moodle-mcp/moodle-sim';
import { LineSocket, LineSockets } from '../../../test/helpers/lineSocket.js';
import { startRedis, type TestRedis } from '../../../test/helpers/redis.js';
import { startStack, type TestStack } from '../../../test/helpers/stack.js';
import { waitFor } from '../../../test/helpers/wait.js';

/**
 * The shared cache as teachers meet it: two workers, one real redis-server,
 * moodle-sim counting what reaches "Moodle", MCP sessions over real TCP.
 */
describe('two workers sharing one Redis cache', () => {
  let redis: TestRedis;
  let sim: SimHandle;
  let a: TestStack;
  let b: TestStack;
  const sockets = new LineSockets();
  let nextId = 1;

  const session = async (stack: TestStack) => {
    const s = await sockets.open(stack.port);
    await s.initialize();
    return s;
  };
  const call = async (s: LineSocket, name: string, args: Record<string, unknown> = {}) => {
    const id = nextId++;
    s.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
    const r = await s.response(id, 30_000);
    if (r.error) throw new Error(`${name}: ${r.error.message}`);
    return r.result as { isError?: boolean; content: { text: string }[]; structuredContent: any; _meta?: Record<string, any> };
  };

  beforeAll(async () => {
    redis = await startRedis();
    sim = await startSim({ port: 0 });
    const env = { REDIS_URL: redis.url, CACHE_TTL_OVERRIDES: 'mod_assign_get_assignments=1', CACHE_STALE_MAX_AGE_SECONDS: '600', REDIS_COMMAND_TIMEOUT_MS: '200' };
    a = await startStack({ ...env, WORKER_ID: 'worker-a' }, { shared: sim });
    b = await startStack({ ...env, WORKER_ID: 'worker-b' }, { shared: sim });
  });
  afterEach(() => sim.setFaults({}));
  afterAll(async () => {
    sockets.closeAll();
    await a?.stop();
    await b?.stop();
    await sim?.stop();
    await redis?.stop();
  });

  it('answers identical concurrent calls on both workers with one Moodle request', async () => {
    sim.resetStats();
    const clients = await Promise.all(Array.from({ length: 40 }, (_, i) => session(i % 2 ? a : b)));
    const results = await Promise.all(clients.map((s) => call(s, 'get_courses', { perPage: 3 })));
    expect(results.every((r) => !r.isError && r.structuredContent.courses.length === 3)).toBe(true);
    // get_courses asks who the account is, then its courses: one request each.
    expect(sim.stats().byFunction.core_enrol_get_users_courses).toBe(1);
    expect(sim.stats().byFunction.core_webservice_get_site_info).toBe(1);
    // And later calls are hits: still one request.
    await call(clients[0], 'get_courses', { perPage: 3 });
    expect(sim.stats().byFunction.core_enrol_get_users_courses).toBe(1);
  });

  it('shows a grade saved through one worker on the other worker at once', async () => {
    const sa = await session(a);
    const sb = await session(b);
    const before = await call(sb, 'get_submissions', { assignmentId: SEED.assignmentId, userId: SEED.draftStudentId });
    expect(before.isError).toBeFalsy();
    const saved = await call(sa, 'provide_assignment_feedback', { assignmentId: SEED.assignmentId, userId: SEED.draftStudentId, grade: 64, feedback: 'Seen on every worker' });
    expect(saved.isError).toBeFalsy();
    const after = await call(sb, 'get_submissions', { assignmentId: SEED.assignmentId, userId: SEED.draftStudentId });
    expect(after.structuredContent.submissions[0].grade).toBe(64);
  });

  it('serves the last good answer, marked stale with its age, when Moodle is down', async () => {
    const s = await session(a);
    const fresh = await call(s, 'get_assignments', { courseId: SEED.courseId });
    expect(fresh._meta).toBeUndefined();
    sim.setFaults({ mode: 'down' });
    // The entry's TTL is 1 s (CACHE_TTL_OVERRIDES); once past it, Moodle is asked and fails.
    const stale = await waitFor('a stale answer', async () => {
      const r = await call(s, 'get_assignments', { courseId: SEED.courseId });
      return r._meta?.['moodle-mcp/cache']?.stale ? r : undefined;
    });
    expect(stale.isError).toBeFalsy();
    expect(stale.content[0].text).toMatch(/^\[STALE DATA\] Moodle is not answering right now; this is the last good answer, \d+ s old/);
    expect(stale._meta!['moodle-mcp/cache'].ageSeconds).toBeGreaterThanOrEqual(1);
    expect(stale.structuredContent).toEqual(fresh.structuredContent);
    // Without a cached answer the clear error stays.
    const none = await call(s, 'get_quizzes', { courseId: SEED.otherCourseId });
    expect(none.isError).toBe(true);
    expect(none.content[0].text).toMatch(/unreachable/);
  });

  it('keeps answering every call while Redis is killed and restarted, then caches again', async () => {
    const s = await session(b);
    let failed = 0;
    let done = 0;
    let stop = false;
    const load = (async () => {
      // Bounded: at most 2,000 calls, and it stops as soon as the test says so.
      for (let i = 0; i < 2000 && !stop; i++) {
        const r = await call(s, i % 2 ? 'get_courses' : 'list_students', i % 2 ? {} : { courseId: SEED.courseId }).catch(() => undefined);
        if (!r || r.isError) failed++;
        done++;
      }
    })();
    await waitFor('some calls', () => done > 20);
    await redis.kill();
    await waitFor('calls while Redis is down, and the outage noticed', async () => done > 60 && (await fetch(`${b.httpUrl}/ready`)).status === 200 && !(await readyBody(b)).cache.redis);
    await redis.restart();
    await waitFor('the worker to reconnect to Redis', async () => (await readyBody(b)).cache.redis === true, { timeoutMs: 15_000 });
    const afterRestart = done;
    await waitFor('calls after the restart', () => done > afterRestart + 20);
    stop = true;
    await load;
    expect(failed).toBe(0);
    const warnings = b.logs.lines.filter((l) => l.level === 'warn' && /redis/i.test(String(l.message)));
    expect(warnings.length).toBe(1);
    // Caching resumed: a question not asked before reaches Moodle once, then is a hit.
    sim.resetStats();
    await call(s, 'list_students', { courseId: SEED.otherCourseId });
    await call(s, 'list_students', { courseId: SEED.otherCourseId });
    expect(sim.stats().byFunction.core_enrol_get_enrolled_users).toBe(1);
  });

  it('releases its Redis connections when it stops', async () => {
    const admin = new Redis(redis.url, { lazyConnect: true });
    try {
      await admin.connect();
      const workerConnections = async () => (String(await admin.client('LIST')).match(/name=mcp-worker-cache/g) ?? []).length;
      // Two workers, each with a command and a notice connection.
      await waitFor('both workers connected to Redis', async () => (await workerConnections()) === 4, { timeoutMs: 10_000 });
      await a.stop();
      await waitFor('worker-a gone from Redis', async () => (await workerConnections()) === 2, { timeoutMs: 5_000 });
    } finally {
      admin.disconnect();
    }
  });
});

async function readyBody(stack: TestStack): Promise<any> {
  return (await fetch(`${stack.httpUrl}/ready`)).json();
}
