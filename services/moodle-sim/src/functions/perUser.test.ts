/**
 * What each kind of user gets from the served functions, with the demo
 * teachers' own tokens (default role capabilities, no site-admin powers):
 * an editing teacher (Tessa), a non-editing teacher (Marcus in BIO101), a
 * teaching assistant whose grading is prohibited by a course role override
 * (Jonas), a teacher not enrolled in the course (Priya in BIO101), a student
 * and the site-admin-powered DEMO_TOKEN.
 */
import { DEMO_TEACHERS } from '../auth/demoTeachers';
import { DEMO_TOKEN, STUDENT_TOKEN } from '../auth/tokens';
import { SEED } from '../seedIds';
import type { SimHandle } from '../server';
import { rawCall } from '../testing/call';
import { caller, startTestSim, TEST_NOW_SEC } from '../testing/fixture';

let sim: SimHandle;
beforeEach(async () => {
  sim = await startTestSim({ debug: false });
});
afterEach(() => sim.stop());

const as = (name: string) => caller(() => sim, DEMO_TEACHERS.find((t) => t.name === name)!.token);
const tessa = as('tessa');
const marcus = as('marcus');
const priya = as('priya');
const jonas = as('jonas');
const student = caller(() => sim, STUDENT_TOKEN);
const admin = caller(() => sim, DEMO_TOKEN);

const nopermissions = (name: string) => ({ exception: 'required_capability_exception', errorcode: 'nopermissions', message: `Sorry, but you do not currently have permissions to do that (${name})` });
const requireLogin = { exception: 'require_login_exception', errorcode: 'requireloginerror', message: 'Course or activity not accessible.' };
const saveGrade = (extra: Record<string, unknown> = {}) =>
  ({ assignmentid: SEED.assignmentId, userid: SEED.ungradedStudentId, grade: 60, attemptnumber: -1, addattempt: 0, workflowstate: '', applytoall: 0, ...extra }) as never;

describe('anonymous probes of the REST endpoint', () => {
  it.each([
    ['no token at all', `wsfunction=core_webservice_get_site_info&moodlewsrestformat=json`],
    ['an empty token', `wstoken=&wsfunction=core_webservice_get_site_info&moodlewsrestformat=json`],
    ['an unknown token', `wstoken=${'0'.repeat(32)}&moodlewsrestformat=json`],
  ])('answers %s with invalidtoken (HTTP 200, JSON)', async (_what, query) => {
    const res = await fetch(`${sim.url}/webservice/rest/server.php?${query}`);
    expect([res.status, await res.json()]).toEqual([200, { exception: 'moodle_exception', errorcode: 'invalidtoken', message: 'Invalid token - token not found' }]);
  });

  it('answers a bare GET in XML, as Moodle does without moodlewsrestformat', async () => {
    const res = await fetch(`${sim.url}/webservice/rest/server.php`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<ERRORCODE>invalidtoken</ERRORCODE>');
  });
});

describe('core_webservice_get_site_info', () => {
  it.each(DEMO_TEACHERS.map((t) => [t.name, t] as const))('names %s and says they are not a site admin', async (_n, t) => {
    expect(await as(t.name)('core_webservice_get_site_info')).toMatchObject({ userid: t.userid, username: t.username, userissiteadmin: false });
  });
});

describe('core_course_get_courses', () => {
  it('refuses every teacher without ids: moodle/course:view is a manager capability', async () => {
    for (const who of [tessa, marcus, jonas]) expect(await who('core_course_get_courses')).toEqual(nopermissions('View courses without participation'));
  });

  it('answers errorcoursecontextnotvalid for the first course the teacher is not enrolled in', async () => {
    expect(await priya('core_course_get_courses')).toMatchObject({ errorcode: 'errorcoursecontextnotvalid', message: expect.stringContaining('(course id:2)') });
  });

  it('gives the admin every course', async () => {
    expect((await admin('core_course_get_courses')).map((c: { id: number }) => c.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('core_enrol_get_enrolled_users', () => {
  it('shows Jonas with his teaching assistant role, and withcapability honours the override', async () => {
    const users = await jonas('core_enrol_get_enrolled_users', { courseid: SEED.courseId });
    expect(users.find((u: { id: number }) => u.id === 6).roles).toEqual([{ roleid: 9, name: '', shortname: 'teachingassistant', sortorder: 0 }]);
    const graders = await tessa('core_enrol_get_enrolled_users', { courseid: SEED.courseId, options: [{ name: 'withcapability', value: 'mod/assign:grade' }] });
    expect(graders.map((u: { id: number }) => u.id)).toEqual([3, 4]);
  });

  it('refuses a teacher of other courses', async () => {
    expect(await priya('core_enrol_get_enrolled_users', { courseid: SEED.courseId })).toMatchObject({ errorcode: 'errorcoursecontextnotvalid' });
  });
});

describe('mod_assign_save_grade', () => {
  it('lets an editing and a non-editing teacher grade', async () => {
    expect(await tessa('mod_assign_save_grade', saveGrade())).toBeNull();
    expect(await marcus('mod_assign_save_grade', saveGrade({ grade: 61 }))).toBeNull();
  });

  it('refuses Jonas (mod/assign:grade prohibited in BIO101) and a student', async () => {
    expect(await jonas('mod_assign_save_grade', saveGrade())).toEqual(nopermissions('Grade assignment'));
    expect(await student('mod_assign_save_grade', saveGrade())).toEqual(nopermissions('Grade assignment'));
  });

  it('answers requireloginerror to a teacher not enrolled in the course', async () => {
    expect(await priya('mod_assign_save_grade', saveGrade())).toEqual(requireLogin);
  });
});

describe('reading without grading', () => {
  it('Jonas reads submissions, grades (mod/assign:viewgrades) and the grade report; a student gets a warning', async () => {
    const subs = await jonas('mod_assign_get_submissions', { assignmentids: [SEED.assignmentId] });
    expect(subs.assignments[0].submissions.length).toBeGreaterThan(0);
    const grades = await jonas('mod_assign_get_grades', { assignmentids: [SEED.assignmentId] });
    expect(grades.assignments[0].grades).toContainEqual(expect.objectContaining({ userid: SEED.gradedStudentId, grade: '78.00000' }));
    const report = await jonas('gradereport_user_get_grade_items', { courseid: SEED.courseId });
    expect(report.usergrades).toHaveLength(30);
    expect((await student('mod_assign_get_grades', { assignmentids: [SEED.assignmentId] })).warnings[0]).toEqual({ item: 'assignment', itemid: SEED.assignmentId, warningcode: '1', message: 'No access rights in module context' });
  });
});

describe('core_calendar_get_action_events_by_timesort', () => {
  const events = async (who: ReturnType<typeof as>) => (await who('core_calendar_get_action_events_by_timesort', { timesortfrom: TEST_NOW_SEC - 30 * 86400, limitnum: 50 })).events as { eventtype: string; course: { id: number }; action: { itemcount: number } }[];

  it("gives a teacher only assignment 'gradingdue' events, in the courses they can grade", async () => {
    const t = await events(tessa);
    expect(t.length).toBeGreaterThan(0);
    expect(new Set(t.map((e) => e.eventtype))).toEqual(new Set(['gradingdue']));
    expect(new Set(t.map((e) => e.course.id))).toEqual(new Set([2, 3, 4, 5]));
  });

  it('gives Jonas nothing: he cannot grade and is no participant', async () => {
    expect(await events(jonas)).toEqual([]);
  });

  it("gives a student 'due' and 'close' events only while there is something to do", async () => {
    const s = (await events(student as never)) as unknown as { eventtype: string; instance: number; timesort: number }[];
    expect(s.every((e) => e.eventtype === 'due' || e.eventtype === 'close')).toBe(true);
    // Student 10 has an attempt on the open quiz 2, so its close event is gone.
    expect(s.some((e) => e.eventtype === 'close' && e.instance === SEED.quizId)).toBe(false);
    expect(s.filter((e) => e.eventtype === 'close').every((e) => e.timesort > TEST_NOW_SEC)).toBe(true);
  });
});

describe('return fields checked against Moodle 4.5 descriptions', () => {
  it('mod_quiz_get_quizzes_by_courses: visible is a boolean; managers get timecreated, others do not', async () => {
    const t = (await tessa('mod_quiz_get_quizzes_by_courses', { courseids: [SEED.courseId] })).quizzes;
    const m = (await marcus('mod_quiz_get_quizzes_by_courses', { courseids: [SEED.courseId] })).quizzes;
    expect(t.map((q: { visible: unknown }) => q.visible)).toEqual([true, true]);
    expect(t[0].timecreated).toEqual(expect.any(Number));
    expect(m[0].timecreated).toBeUndefined();
    expect(Object.keys(m[0]).slice(0, 12)).toEqual(['id', 'coursemodule', 'course', 'name', 'intro', 'introformat', 'introfiles', 'section', 'visible', 'groupmode', 'groupingid', 'lang']);
    // Quiz 1 has closed: prevent_access() hides the attempt settings; quiz 2 is open.
    const [closed, open] = m;
    expect([closed.hasquestions, closed.reviewattempt]).toEqual([undefined, undefined]);
    expect([open.hasquestions, open.navmethod]).toEqual([1, 'free']);
  });

  it('mod_forum_get_forum_discussions: messagetrust, not messagetrusttext', async () => {
    const d = (await marcus('mod_forum_get_forum_discussions', { forumid: SEED.forumId })).discussions[0];
    expect(d.messagetrust).toBe(0);
    expect(d).not.toHaveProperty('messagetrusttext');
  });

  it('mod_assign_get_assignments: markinganonymous after markingallocation', async () => {
    const a = (await tessa('mod_assign_get_assignments', { courseids: [SEED.courseId] })).courses[0].assignments[0];
    const keys = Object.keys(a);
    expect(a.markinganonymous).toBe(0);
    expect(keys.indexOf('markinganonymous')).toBe(keys.indexOf('markingallocation') + 1);
  });
});

describe('tokens and services', () => {
  it('keeps DEMO_TOKEN a site admin acting as Tessa', async () => {
    expect(await admin('core_webservice_get_site_info')).toMatchObject({ userid: SEED.teacherId, userissiteadmin: true });
    const r = await rawCall(sim.url, 'mod_assign_save_grade', saveGrade() as never, { token: DEMO_TOKEN });
    expect(r.text).toBe('null');
  });
});
