/** mod_assign_* over real HTTP, including save_grade changing what later reads return. */
import { DEMO_TOKEN, STUDENT_TOKEN, TEACHER_TOKEN } from '../auth/tokens';
import { SEED } from '../seedIds';
import type { SimHandle } from '../server';
import { caller, gradeState, startTestSim, TEST_NOW_SEC } from '../testing/fixture';

let sim: SimHandle;
beforeEach(async () => {
  sim = await startTestSim();
});
afterEach(() => sim.stop());
const teacher = caller(() => sim, TEACHER_TOKEN);
const student = caller(() => sim, STUDENT_TOKEN);
const demo = caller(() => sim, DEMO_TOKEN);

const subOf = (r: any, userid: number) => r.assignments[0].submissions.find((s: { userid: number }) => s.userid === userid);

describe('mod_assign_get_assignments', () => {
  it("lists the user's courses with their assignments (ids, cmids, dates as unix seconds, 0/1 ints)", async () => {
    const r = await teacher('mod_assign_get_assignments', { courseids: [SEED.courseId] });
    expect(r.warnings).toEqual([]);
    expect(r.courses).toHaveLength(1);
    const a = r.courses[0].assignments.find((x: { id: number }) => x.id === SEED.assignmentId);
    expect(a).toMatchObject({ id: 1, cmid: SEED.assignmentCmid, course: 2, grade: 100, nosubmissions: 0, teamsubmission: 0, duedate: TEST_NOW_SEC - 6 * 86400, configs: expect.arrayContaining([{ plugin: 'comments', subtype: 'assignfeedback', name: 'enabled', value: '1' }]), introformat: 1 });
  });

  it('warns (code 2) about requested courses the user is not enrolled in', async () => {
    const r = await student('mod_assign_get_assignments', { courseids: [SEED.courseId, SEED.missingId] });
    expect(r.courses.map((c: { id: number }) => c.id)).toEqual([2]);
    expect(r.warnings).toEqual([{ item: 'course', itemid: SEED.missingId, warningcode: '2', message: 'User is not enrolled or does not have requested capability' }]);
  });
});

describe('mod_assign_get_submissions', () => {
  it('returns assignments[].submissions[] with status and gradingstatus', async () => {
    const r = await teacher('mod_assign_get_submissions', { assignmentids: [SEED.assignmentId] });
    expect(r.assignments[0].assignmentid).toBe(SEED.assignmentId);
    expect(subOf(r, SEED.ungradedStudentId)).toMatchObject({ status: 'submitted', gradingstatus: 'notgraded', attemptnumber: 0, groupid: 0, timestarted: null, plugins: expect.arrayContaining([expect.objectContaining({ type: 'onlinetext' })]) });
    expect(subOf(r, SEED.gradedStudentId)).toMatchObject({ status: 'submitted', gradingstatus: 'graded' });
    expect(subOf(r, SEED.draftStudentId).status).toBe('draft');
    expect(subOf(r, SEED.newStudentId).status).toBe('new');
    const late = subOf(r, SEED.lateStudentId);
    expect(late.timemodified).toBeGreaterThan(TEST_NOW_SEC - 6 * 86400);
  });

  it('filters by status and skips unknown assignment ids silently', async () => {
    const r = await teacher('mod_assign_get_submissions', { assignmentids: [SEED.assignmentId, SEED.missingId], status: 'draft' });
    expect(r.assignments).toHaveLength(1);
    expect(r.assignments[0].submissions.every((s: { status: string }) => s.status === 'draft')).toBe(true);
    expect(r.warnings).toEqual([]);
  });

  it('turns a missing capability into a warning, not an exception', async () => {
    const r = await student('mod_assign_get_submissions', { assignmentids: [SEED.assignmentId] });
    expect(r).toEqual({ assignments: [], warnings: [{ item: 'assignment', itemid: SEED.assignmentId, warningcode: '1', message: 'No access rights in module context' }] });
  });
});

describe('mod_assign_get_grades', () => {
  it('returns grades as five-decimal strings and warns "No grades found" for the rest', async () => {
    const r = await teacher('mod_assign_get_grades', { assignmentids: [SEED.assignmentId, SEED.missingId] });
    const g = r.assignments[0].grades.find((x: { userid: number }) => x.userid === SEED.gradedStudentId);
    expect(g).toMatchObject({ grade: '78.00000', grader: SEED.teacherId, attemptnumber: 0, timemodified: expect.any(Number) });
    expect(r.warnings).toEqual([{ item: 'assignment', itemid: SEED.missingId, warningcode: '3', message: 'No grades found' }]);
  });
});

describe('mod_assign_save_grade', () => {
  const save = (extra: Record<string, unknown> = {}) => ({
    assignmentid: SEED.assignmentId,
    userid: SEED.ungradedStudentId,
    grade: 91.5,
    attemptnumber: -1,
    addattempt: 0,
    workflowstate: '',
    applytoall: 1,
    plugindata: { assignfeedbackcomments_editor: { text: '<p>Great analysis.</p>', format: 1 } },
    ...extra,
  });

  it('answers null and changes later reads: grades, gradingstatus and the grade report with feedback', async () => {
    expect(await teacher('mod_assign_save_grade', save() as never)).toBeNull();
    const grades = await teacher('mod_assign_get_grades', { assignmentids: [SEED.assignmentId] });
    expect(grades.assignments[0].grades.find((x: { userid: number }) => x.userid === SEED.ungradedStudentId)).toMatchObject({ grade: '91.50000', grader: SEED.teacherId });
    const subs = await teacher('mod_assign_get_submissions', { assignmentids: [SEED.assignmentId] });
    expect(subOf(subs, SEED.ungradedStudentId).gradingstatus).toBe('graded');
    const report = await teacher('gradereport_user_get_grade_items', { courseid: SEED.courseId, userid: SEED.ungradedStudentId });
    const item = report.usergrades[0].gradeitems.find((i: { itemmodule: string; iteminstance: number }) => i.itemmodule === 'assign' && i.iteminstance === SEED.assignmentId);
    expect(item).toMatchObject({ graderaw: 91.5, gradeformatted: '91.50', feedback: '<p>Great analysis.</p>', grademax: 100 });
    const state = await gradeState(sim);
    expect([state.saveGradeCalls, state.stateChanges]).toEqual([1, 1]);
    expect(state.grades).toContainEqual(expect.objectContaining({ assignmentid: SEED.assignmentId, userid: SEED.ungradedStudentId, grade: 91.5, feedback: '<p>Great analysis.</p>' }));
  });

  it('counts a repeated identical save once as a state change', async () => {
    await teacher('mod_assign_save_grade', save() as never);
    await teacher('mod_assign_save_grade', save() as never);
    const state = await gradeState(sim);
    expect([state.saveGradeCalls, state.stateChanges]).toEqual([2, 1]);
  });

  it('works without plugindata (defaults to an empty array) and keeps earlier feedback', async () => {
    const { plugindata, ...noPlugin } = save({ userid: SEED.gradedStudentId, grade: 80 });
    void plugindata;
    expect(await demo('mod_assign_save_grade', noPlugin as never)).toBeNull();
    const report = await demo('gradereport_user_get_grade_items', { courseid: SEED.courseId, userid: SEED.gradedStudentId });
    const item = report.usergrades[0].gradeitems.find((i: { iteminstance: number; itemmodule: string }) => i.itemmodule === 'assign' && i.iteminstance === SEED.assignmentId);
    expect([item.graderaw, item.feedback]).toEqual([80, '<p>Clear method; discuss the control group.</p>']);
  });

  it('like Moodle, ignores a grade above the maximum but still answers null', async () => {
    expect(await teacher('mod_assign_save_grade', save({ grade: 150, plugindata: {} }) as never)).toBeNull();
    const grades = await teacher('mod_assign_get_grades', { assignmentids: [SEED.assignmentId] });
    expect(grades.assignments[0].grades.find((x: { userid: number }) => x.userid === SEED.ungradedStudentId)?.grade ?? '-1.00000').toBe('-1.00000');
  });

  it('requires mod/assign:grade: a student gets required_capability_exception', async () => {
    expect(await student('mod_assign_save_grade', save() as never)).toEqual({ exception: 'required_capability_exception', errorcode: 'nopermissions', message: 'Sorry, but you do not currently have permissions to do that (Grade assignment)' });
    const state = await gradeState(sim);
    expect(state.saveGradeCalls).toBe(0);
  });

  it('answers invalidrecord for an unknown assignment', async () => {
    expect(await teacher('mod_assign_save_grade', save({ assignmentid: SEED.missingId }) as never)).toMatchObject({ exception: 'dml_missing_record_exception', errorcode: 'invalidrecord', debuginfo: expect.stringContaining('{assign}') });
  });

  it('rejects a call without the required workflowstate key', async () => {
    const { workflowstate, ...rest } = save();
    void workflowstate;
    expect(await teacher('mod_assign_save_grade', rest as never)).toMatchObject({ errorcode: 'invalidparameter', debuginfo: 'Missing required key in single structure: workflowstate' });
  });
});
