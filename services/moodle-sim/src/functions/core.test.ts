/**
 * Happy paths of core_webservice_get_site_info, core_course_* and
 * core_enrol_get_enrolled_users over real HTTP: shapes and types as Moodle returns them.
 */
import { DEMO_TOKEN, STUDENT_TOKEN, TEACHER_TOKEN } from '../auth/tokens';
import { SEED } from '../seedIds';
import type { SimHandle } from '../server';
import { caller, startTestSim } from '../testing/fixture';
import { FUNCTION_NAMES } from './index';

let sim: SimHandle;
beforeAll(async () => {
  sim = await startTestSim();
});
afterAll(() => sim.stop());
const demo = caller(() => sim, DEMO_TOKEN);
const teacher = caller(() => sim, TEACHER_TOKEN);
const student = caller(() => sim, STUDENT_TOKEN);

describe('core_webservice_get_site_info', () => {
  it("describes the site and the token's user and lists the service's functions", async () => {
    const info = await demo('core_webservice_get_site_info');
    expect(info).toMatchObject({ sitename: expect.any(String), username: 'tlindqvist', firstname: 'Tessa', lastname: 'Lindqvist', fullname: 'Tessa Lindqvist', lang: 'en', userid: SEED.teacherId, siteurl: sim.url, release: expect.stringMatching(/^4\.5/), version: expect.any(String), usercanmanageownfiles: true, downloadfiles: 1, uploadfiles: 1, siteid: 1 });
    expect(info.functions.map((f: { name: string }) => f.name).sort()).toEqual([...FUNCTION_NAMES].sort());
    expect(info.advancedfeatures).toContainEqual({ name: 'enablecompletion', value: 1 });
  });
});

describe('core_course_get_courses', () => {
  it('returns every course including the site course (id 1, format "site") for an admin-powered token', async () => {
    const courses = await demo('core_course_get_courses');
    expect(courses.map((c: { id: number }) => c.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(courses[0]).toMatchObject({ id: 1, format: 'site', categoryid: 0 });
    expect(courses[1]).toMatchObject({ id: 2, shortname: 'BIO101', categoryid: 2, format: 'topics', summaryformat: 1, visible: 1, numsections: 4, startdate: expect.any(Number), enddate: expect.any(Number), courseformatoptions: expect.any(Array) });
    expect(Object.keys(courses[1]).slice(0, 5)).toEqual(['id', 'shortname', 'categoryid', 'categorysortorder', 'fullname']);
  });

  it('filters by options[ids] and silently skips unknown ids', async () => {
    const courses = await demo('core_course_get_courses', { options: { ids: [3, SEED.missingId, 2] } });
    expect(courses.map((c: { id: number }) => c.id)).toEqual([2, 3]);
  });

  it('refuses a course teacher without moodle/course:view, as real Moodle does', async () => {
    expect(await teacher('core_course_get_courses', { options: { ids: [2] } })).toEqual({
      exception: 'required_capability_exception',
      errorcode: 'nopermissions',
      message: 'Sorry, but you do not currently have permissions to do that (View courses without participation)',
    });
  });

  it('reports errorcoursecontextnotvalid for a course the user cannot enter', async () => {
    const r = await student('core_course_get_courses', { options: { ids: [3] } });
    expect(r).toEqual({ exception: 'moodle_exception', errorcode: 'errorcoursecontextnotvalid', message: 'You cannot execute functions in the course context (course id:3). The context error message was: Course or activity not accessible.' });
  });
});

describe('core_course_get_courses_by_field', () => {
  it('finds courses by id, ids, shortname and category, with warnings', async () => {
    expect((await demo('core_course_get_courses_by_field', { field: 'id', value: 2 })).courses.map((c: { id: number }) => c.id)).toEqual([2]);
    expect((await demo('core_course_get_courses_by_field', { field: 'ids', value: '2,4' })).courses.map((c: { id: number }) => c.id)).toEqual([2, 4]);
    expect((await demo('core_course_get_courses_by_field', { field: 'shortname', value: 'CHEM201' })).courses[0].id).toBe(3);
    const byCat = await demo('core_course_get_courses_by_field', { field: 'category', value: 3 });
    expect(byCat).toEqual({ courses: expect.any(Array), warnings: [] });
    expect(byCat.courses.map((c: { id: number }) => c.id)).toEqual([5, 6, 7]);
  });

  it('gives full records for courses the user is in and public information for the others', async () => {
    const { courses } = await student('core_course_get_courses_by_field');
    const mine = courses.find((c: { id: number }) => c.id === 2);
    const other = courses.find((c: { id: number }) => c.id === 3);
    expect(mine).toMatchObject({ id: 2, fullname: 'Biology 101: Cells and Life', categoryname: 'Science and Mathematics', format: 'topics', visible: 1, contacts: [{ id: 3, fullname: 'Tessa Lindqvist' }] });
    expect(other).toBeDefined();
    expect(other.format).toBeUndefined();
    expect(courses.find((c: { id: number }) => c.id === SEED.hiddenCourseId)).toBeUndefined();
  });

  it('rejects an unknown field name', async () => {
    expect(await demo('core_course_get_courses_by_field', { field: 'colour', value: 'red' })).toMatchObject({ errorcode: 'invalidparameter', debuginfo: 'Invalid field name' });
  });
});

describe('core_course_search_courses', () => {
  it('searches names and summaries and reports the total', async () => {
    const r = await student('core_course_search_courses', { criterianame: 'search', criteriavalue: 'biology' });
    expect(r).toEqual({ total: 1, courses: [expect.objectContaining({ id: 2, shortname: 'BIO101', categoryid: 2 })], warnings: [] });
  });

  it('pages with page/perpage and filters with limittoenrolled', async () => {
    const all = await demo('core_course_search_courses', { criterianame: 'search', criteriavalue: '' });
    expect(all.total).toBe(6);
    const page = await demo('core_course_search_courses', { criterianame: 'search', criteriavalue: '', page: 1, perpage: 2 });
    expect([page.total, page.courses.map((c: { id: number }) => c.id)]).toEqual([6, [4, 5]]);
    const enrolled = await student('core_course_search_courses', { criterianame: 'search', criteriavalue: '', limittoenrolled: 1 });
    expect(enrolled.courses.map((c: { id: number }) => c.id)).toContain(2);
  });
});

describe('core_course_get_contents', () => {
  it('returns sections with modules (assign, quiz, forum, resource, url) and file contents', async () => {
    const sections = await demo('core_course_get_contents', { courseid: SEED.courseId });
    expect(sections.map((s: { section: number }) => s.section)).toEqual([0, 1, 2, 3, 4]);
    expect(sections[0]).toMatchObject({ name: 'General', summaryformat: 1, visible: 1, uservisible: true });
    const modules = sections.flatMap((s: { modules: unknown[] }) => s.modules);
    expect(new Set(modules.map((m: { modname: string }) => m.modname))).toEqual(new Set(['assign', 'quiz', 'forum', 'resource', 'url']));
    const assign = modules.find((m: { id: number }) => m.id === SEED.assignmentCmid);
    expect(assign).toMatchObject({ modname: 'assign', instance: SEED.assignmentId, url: `${sim.url}/mod/assign/view.php?id=${SEED.assignmentCmid}`, visible: 1, uservisible: true, dates: [expect.objectContaining({ dataid: 'allowsubmissionsfromdate' }), expect.objectContaining({ dataid: 'duedate' })] });
    const file = modules.find((m: { modname: string }) => m.modname === 'resource');
    expect(file.contents[0]).toMatchObject({ type: 'file', filename: expect.stringMatching(/\.pdf$/), filesize: expect.any(Number), mimetype: 'application/pdf' });
  });

  it('honours options such as excludemodules and sectionnumber', async () => {
    const sections = await demo('core_course_get_contents', { courseid: SEED.courseId, options: [{ name: 'sectionnumber', value: '1' }, { name: 'excludemodules', value: '1' }] });
    expect(sections).toHaveLength(1);
    expect(sections[0]).toMatchObject({ section: 1, modules: [] });
  });
});

describe('core_enrol_get_enrolled_users', () => {
  it('lists participants with roles, sorted by id', async () => {
    const users = await teacher('core_enrol_get_enrolled_users', { courseid: SEED.courseId });
    // 30 students, Tessa, Marcus and the teaching assistant Jonas (user 6).
    expect(users).toHaveLength(33);
    const t = users.find((u: { id: number }) => u.id === SEED.teacherId);
    expect(t.roles).toEqual([{ roleid: 3, name: '', shortname: 'editingteacher', sortorder: 0 }]);
    const s = users.find((u: { id: number }) => u.id === SEED.studentId);
    expect(s).toMatchObject({ fullname: expect.any(String), email: expect.stringContaining('@'), roles: [{ roleid: 5, shortname: 'student' }], lastcourseaccess: expect.any(Number), enrolledcourses: expect.arrayContaining([expect.objectContaining({ id: 2 })]) });
  });

  it('filters with options (withcapability, limitnumber)', async () => {
    const graders = await teacher('core_enrol_get_enrolled_users', { courseid: SEED.courseId, options: [{ name: 'withcapability', value: 'mod/assign:grade' }] });
    expect(graders.map((u: { id: number }) => u.id)).toEqual([3, 4]);
    const two = await teacher('core_enrol_get_enrolled_users', { courseid: SEED.courseId, options: [{ name: 'limitnumber', value: '2' }] });
    expect(two).toHaveLength(2);
  });
});
