import { SEED } from '@moodle-mcp/moodle-sim';
import { LineSocket } from '../../../test/helpers/lineSocket.js';
import { metric as scrape } from '../../../test/helpers/metrics.js';
import { startStack, type TestStack } from '../../../test/helpers/stack.js';
import { waitFor } from '../../../test/helpers/wait.js';

/**
 * The circuit breaker in front of Moodle, and the audit trail of writes: a
 * real worker on a real moodle-sim whose faults are switched on and off.
 * The circuit opens after 3 consecutive failures and probes after 400 ms.
 */
describe('a failing Moodle is not hammered', () => {
  let stack: TestStack;
  let s: LineSocket;
  let nextId = 1;
  const call = async (name: string, args: Record<string, unknown>) => {
    const id = nextId++;
    s.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
    const r = await s.response(id, 30_000);
    return r.result as { isError?: boolean; content: { text: string }[] };
  };
  const metric = (name: string) => scrape(stack, name, 'worker="test-worker"');
  const moodleRequests = () => Object.values(stack.sim.stats().byFunction).reduce((a, b) => a + b, 0);

  beforeAll(async () => {
    stack = await startStack({ MOODLE_RETRIES: '0', MOODLE_CIRCUIT_THRESHOLD: '3', MOODLE_CIRCUIT_COOLDOWN_MS: '400', READY_CHECK_INTERVAL_MS: '600000' });
    s = await LineSocket.connect(stack.port);
    await s.initialize();
  });
  afterAll(async () => {
    s?.close();
    await stack?.stop();
  });

  it('opens after 3 consecutive failures, answers at once without calling Moodle, then closes when a probe succeeds', async () => {
    stack.sim.setFaults({ mode: 'http500' });
    const before = moodleRequests();
    for (let i = 0; i < 3; i++) expect((await call('list_students', { courseId: SEED.courseId, limit: 10 + i })).isError).toBe(true);
    expect(moodleRequests()).toBe(before + 3);
    const refused = await call('list_students', { courseId: SEED.courseId, limit: 20 });
    expect(refused.isError).toBe(true);
    expect(refused.content[0]!.text).toMatch(/calls are paused: core_enrol_get_enrolled_users was not sent\. Moodle is tried again in about 1 s/);
    expect(moodleRequests()).toBe(before + 3);
    expect(await metric('mcp_moodle_circuit_open')).toBe(1);
    expect(await metric('mcp_moodle_circuit_trips_total')).toBe(1);

    stack.sim.setFaults({});
    const ok = await waitFor('a probe to close the circuit', async () => {
      const r = await call('list_students', { courseId: SEED.courseId, limit: 30 });
      return r.isError ? undefined : r;
    });
    expect(ok.content[0]!.text.length).toBeGreaterThan(0);
    expect(await metric('mcp_moodle_circuit_open')).toBe(0);
    expect(stack.logs.lines.filter((l) => l.message === 'Moodle answers again; circuit closed')).toHaveLength(1);
  });

  it('refuses a write while open, saying it was not sent, and Moodle saw nothing', async () => {
    stack.sim.setFaults({ mode: 'http500' });
    for (let i = 0; i < 3; i++) await call('get_assignments', { courseId: SEED.courseId + i });
    const before = moodleRequests();
    const r = await call('provide_assignment_feedback', { assignmentId: SEED.assignmentId, userId: SEED.draftStudentId, grade: 55, feedback: 'paused' });
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/mod_assign_save_grade was NOT sent \(nothing was changed\)/);
    expect(moodleRequests()).toBe(before);
    stack.sim.setFaults({});
  });

  it('does not count answers from Moodle (an unknown record) as failures', async () => {
    await waitFor('the circuit closed again', async () => !(await call('get_site_info', {})).isError);
    for (let i = 0; i < 5; i++) expect((await call('get_assignments', { courseId: 999_000 + i })).isError).toBe(true);
    expect(await metric('mcp_moodle_circuit_open')).toBe(0);
  });
});

describe('the audit trail of writes', () => {
  it('logs who, what, when and the outcome of every write, with long texts by length only', async () => {
    const stack = await startStack();
    const s = await LineSocket.connect(stack.port);
    try {
      await s.initialize();
      const feedback = 'A thorough answer; the second part needs more evidence. '.repeat(3);
      s.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'provide_assignment_feedback', arguments: { assignmentId: SEED.assignmentId, userId: SEED.draftStudentId, grade: 77, feedback } } });
      expect((await s.response(1)).result).toBeDefined();
      s.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'provide_assignment_feedback', arguments: { assignmentId: 999_999, userId: SEED.draftStudentId, grade: 10 } } });
      expect((await s.response(2)).result).toBeDefined();
      s.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get_site_info', arguments: {} } });
      await s.response(3);
      const audit = stack.logs.lines.filter((l) => l.audit === true);
      expect(audit).toHaveLength(2);
      expect(audit[0]).toMatchObject({ message: 'audit: write', tool: 'provide_assignment_feedback', outcome: 'ok', sessionId: expect.any(String), arguments: { assignmentId: SEED.assignmentId, userId: SEED.draftStudentId, grade: 77, feedback: `[${feedback.length} characters]` } });
      expect(typeof audit[0]!.time).toBe('string');
      expect(audit[1]).toMatchObject({ outcome: 'moodle_error', error: expect.any(String), arguments: { assignmentId: 999_999 } });
    } finally {
      s.close();
      await stack.stop();
    }
  });
});
