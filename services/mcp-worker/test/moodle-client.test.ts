import { RESTRICTED_TOKEN, SEED, STUDENT_TOKEN, startSim, testTokens, type SimHandle } from '@moodle-mcp/moodle-sim';
import { MoodleClient } from '../src/moodle/client.js';
import { MoodleError } from '../src/moodle/errors.js';

/** The Moodle client against the simulator over real HTTP: encoding, error mapping, retries, timeouts. */
describe('MoodleClient', () => {
  let sim: SimHandle;
  const clients: MoodleClient[] = [];
  const client = (token = sim.token, opts: Partial<ConstructorParameters<typeof MoodleClient>[0]> = {}) => {
    const c = new MoodleClient({ baseUrl: sim.url, token, retries: 0, retryBaseMs: 10, ...opts });
    clients.push(c);
    return c;
  };
  const failure = async (p: Promise<unknown>): Promise<MoodleError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MoodleError);
    return err as MoodleError;
  };

  beforeAll(async () => {
    sim = await startSim({ port: 0, tokens: testTokens() });
  });
  afterEach(() => {
    sim.setFaults({});
    sim.resetStats();
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await sim.stop();
  });

  it('calls a function with array parameters and decodes the answer', async () => {
    const courses = await client().call<{ id: number }[]>('core_course_get_courses', { options: { ids: [SEED.courseId, SEED.otherCourseId] } });
    expect(courses.map((c) => c.id).sort()).toEqual([SEED.courseId, SEED.otherCourseId]);
  });

  it('maps an invalid token to invalid_token, without the token in the message', async () => {
    const bad = 'not-a-real-token-0123456789';
    const err = await failure(client(bad).call('core_webservice_get_site_info', {}));
    expect(err.kind).toBe('invalid_token');
    expect(err.moodleErrorCode).toBe('invalidtoken');
    expect(err.message).toMatch(/invalid or expired/);
    expect(err.message).not.toContain(bad);
  });

  it("maps a function missing from the token's service to function_unavailable", async () => {
    const err = await failure(client(RESTRICTED_TOKEN).call('mod_assign_get_assignments', { courseids: [SEED.courseId] }));
    expect(err.kind).toBe('function_unavailable');
    expect(err.message).toMatch(/not enabled in the token's Moodle web service/);
  });

  it('maps a missing capability to permission_denied', async () => {
    const err = await failure(
      client(STUDENT_TOKEN).call(
        'mod_assign_save_grade',
        { assignmentid: SEED.assignmentId, userid: SEED.gradedStudentId, grade: 100, attemptnumber: -1, addattempt: 0, workflowstate: '', applytoall: 1 },
        { write: true },
      ),
    );
    expect(err.kind).toBe('permission_denied');
    expect(err.message).toMatch(/lacks the capability/);
  });

  it('maps an unknown record to not_found', async () => {
    const err = await failure(client().call('core_course_get_contents', { courseid: SEED.missingId }));
    expect(err.kind).toBe('not_found');
  });

  it('maps a refused parameter to invalid_parameter', async () => {
    const err = await failure(client().call('core_course_get_contents', {}));
    expect(err.kind).toBe('invalid_parameter');
    expect(err.moodleErrorCode).toBe('invalidparameter');
  });

  it('maps any other Moodle exception to moodle_exception with its errorcode', async () => {
    sim.setFaults({ mode: 'exception', errorcode: 'sitemaintenance', message: 'Site is under maintenance' });
    const err = await failure(client().call('core_webservice_get_site_info', {}));
    expect(err.kind).toBe('moodle_exception');
    expect(err.message).toContain('Site is under maintenance (errorcode sitemaintenance)');
  });

  it('reports a body that is not JSON as bad_response', async () => {
    sim.setFaults({ mode: 'garbage' });
    const err = await failure(client().call('core_webservice_get_site_info', {}));
    expect(err.kind).toBe('bad_response');
    expect(err.message).toMatch(/not JSON/);
  });

  it('reports a timeout as such', async () => {
    sim.setFaults({ mode: 'timeout' });
    const err = await failure(client(undefined, { timeoutMs: 300 }).call('core_webservice_get_site_info', {}));
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain('within 300 ms');
  });

  it('reports a dropped connection as unreachable', async () => {
    sim.setFaults({ mode: 'down' });
    const err = await failure(client().call('core_webservice_get_site_info', {}));
    expect(err.kind).toBe('unreachable');
  });

  it('reports a closed port as unreachable', async () => {
    const gone = new MoodleClient({ baseUrl: 'http://127.0.0.1:1', token: 'whatever-token', retries: 0 });
    clients.push(gone);
    const err = await failure(gone.call('core_webservice_get_site_info', {}));
    expect(err.kind).toBe('unreachable');
    expect(err.message).toMatch(/unreachable \(ECONNREFUSED\)/);
  });

  it('retries a read after HTTP 500, with backoff, and then reports http_error', async () => {
    sim.setFaults({ mode: 'http500' });
    const err = await failure(client(undefined, { retries: 2 }).call('core_webservice_get_site_info', {}));
    expect(err.kind).toBe('http_error');
    expect(err.status).toBe(500);
    expect(sim.stats().byFunction.core_webservice_get_site_info).toBe(3);
  });

  it('never retries a write', async () => {
    sim.setFaults({ mode: 'http500' });
    const err = await failure(
      client(undefined, { retries: 2 }).call(
        'mod_assign_save_grade',
        { assignmentid: SEED.assignmentId, userid: SEED.studentId, grade: 50, attemptnumber: -1, addattempt: 0, workflowstate: '', applytoall: 1 },
        { write: true },
      ),
    );
    expect(err.kind).toBe('http_error');
    expect(sim.stats().byFunction.mod_assign_save_grade).toBe(1);
  });

  it('succeeds on a retry when the fault is intermittent', async () => {
    sim.setFaults({ mode: 'http500', rate: 0.5 });
    const c = client(undefined, { retries: 5 });
    for (let i = 0; i < 10; i++) await expect(c.call('core_webservice_get_site_info', {})).resolves.toBeDefined();
  });

  it('aborts the upstream request when the signal fires', async () => {
    sim.setFaults({ mode: 'timeout' });
    const ac = new AbortController();
    const p = client(undefined, { timeoutMs: 30_000 }).call('core_webservice_get_site_info', {}, { signal: ac.signal });
    setImmediate(() => ac.abort());
    const err = await failure(p);
    expect(err.kind).toBe('aborted');
  });
});
