/**
 * core_enrol_get_users_courses per kind of caller, over real HTTP: an editing
 * teacher (Tessa), a non-editing teacher (Marcus in BIO101, Priya in CHEM201),
 * a student, the site-admin-powered DEMO_TOKEN, and callers asking about
 * another user's courses.
 */
import { DEMO_TEACHERS } from '../auth/demoTeachers';
import { DEMO_TOKEN, STUDENT_TOKEN } from '../auth/tokens';
import { SEED } from '../seedIds';
import type { SimHandle } from '../server';
import { caller, startTestSim } from '../testing/fixture';

let sim: SimHandle;
beforeAll(async () => {
  sim = await startTestSim();
});
afterAll(() => sim.stop());

const as = (name: string) => caller(() => sim, DEMO_TEACHERS.find((t) => t.name === name)!.token);
const tessa = as('tessa');
const marcus = as('marcus');
const priya = as('priya');
const student = caller(() => sim, STUDENT_TOKEN);
const admin = caller(() => sim, DEMO_TOKEN);

interface Entry {
  id: number;
  visible: number;
  enrolledusercount?: number;
  progress: number | null;
  completed: boolean | null;
  completionusertracked: boolean;
  lastaccess: number | null;
}
const coursesOf = async (who: typeof tessa, userid: number, extra: Record<string, number> = {}): Promise<Entry[]> =>
  who('core_enrol_get_users_courses', { userid, ...extra });
const ids = (entries: Entry[]) => entries.map((c) => c.id);

/** get_users_courses_returns, in order (enrolledusercount only with returnusercount). */
const KEYS = [
  'id',
  'shortname',
  'fullname',
  'displayname',
  'enrolledusercount',
  'idnumber',
  'visible',
  'summary',
  'summaryformat',
  'format',
  'courseimage',
  'showgrades',
  'lang',
  'enablecompletion',
  'completionhascriteria',
  'completionusertracked',
  'category',
  'progress',
  'completed',
  'startdate',
  'enddate',
  'marker',
  'lastaccess',
  'isfavourite',
  'hidden',
  'overviewfiles',
  'showactivitydates',
  'showcompletionconditions',
  'timemodified',
];

describe('core_enrol_get_users_courses: a user asking about themselves', () => {
  it('gives an editing teacher their courses in sort order, with every field of the description in its order', async () => {
    const courses = await coursesOf(tessa, 3);
    expect(ids(courses)).toEqual([2, 3, 4, 5]);
    expect(Object.keys(courses[0]!)).toEqual(KEYS);
    expect(courses[0]).toMatchObject({
      id: 2,
      shortname: 'BIO101',
      fullname: 'Biology 101: Cells and Life',
      displayname: 'Biology 101: Cells and Life',
      idnumber: 'BIO101-2024',
      visible: 1,
      summaryformat: 1,
      format: 'topics',
      showgrades: true,
      lang: '',
      enablecompletion: true,
      category: SEED.categoryId,
      marker: 0,
      isfavourite: false,
      hidden: false,
      overviewfiles: [],
      showactivitydates: true,
      showcompletionconditions: true,
    });
    // A teacher is not completion-tracked: no progress; the course is not completed.
    expect(courses[0]).toMatchObject({
      completionhascriteria: false,
      completionusertracked: false,
      progress: null,
      completed: false,
      lastaccess: expect.any(Number),
    });
  });

  it('counts every enrolled user unless returnusercount is 0, which drops the key', async () => {
    const [bio] = await coursesOf(tessa, 3);
    const participants = await admin('core_enrol_get_enrolled_users', { courseid: SEED.courseId });
    expect(bio!.enrolledusercount).toBe(participants.length);
    const [lean] = await coursesOf(tessa, 3, { returnusercount: 0 });
    expect(lean).not.toHaveProperty('enrolledusercount');
    expect(Object.keys(lean!)).toEqual(KEYS.filter((k) => k !== 'enrolledusercount'));
  });

  it('gives a non-editing teacher their courses, a hidden one where they are an editing teacher (viewhiddencourses)', async () => {
    expect(ids(await coursesOf(marcus, 4))).toEqual([2, 5, 6, SEED.hiddenCourseId]);
    expect(ids(await coursesOf(priya, 5))).toEqual([3, 4, 6, SEED.hiddenCourseId]);
    expect((await coursesOf(priya, 5)).at(-1)!.visible).toBe(0);
  });

  it('gives a student their courses with completion tracking, never a hidden course', async () => {
    const courses = await coursesOf(student, SEED.studentId);
    expect(ids(courses)).toContain(SEED.courseId);
    expect(ids(courses)).not.toContain(SEED.hiddenCourseId);
    expect(courses.every((c) => c.visible === 1)).toBe(true);
    expect(courses[0]).toMatchObject({ completionusertracked: true, progress: 0, completed: false });
  });

  it("gives the admin token's own user (Tessa) her courses, not every course", async () => {
    expect(ids(await coursesOf(admin, SEED.teacherId))).toEqual([2, 3, 4, 5]);
  });
});

describe("core_enrol_get_users_courses: another user's courses", () => {
  it('lists only the courses the caller can enter as well', async () => {
    expect(ids(await coursesOf(tessa, 4))).toEqual([2, 5]);
    expect(ids(await coursesOf(tessa, 5))).toEqual([3, 4]);
    expect(ids(await coursesOf(marcus, 5))).toEqual([6, SEED.hiddenCourseId]);
  });

  it('shows completion data only to a caller who may view it (report/completion:view)', async () => {
    const byTeacher = (await coursesOf(tessa, SEED.gradedStudentId)).find((c) => c.id === SEED.courseId)!;
    expect(byTeacher).toMatchObject({ completionusertracked: true, progress: 0, completed: false });
    const byStudent = (await coursesOf(student, SEED.teacherId)).find((c) => c.id === SEED.courseId)!;
    expect(byStudent).toMatchObject({ completionusertracked: false, progress: null, completed: null });
  });

  it("lets a student see a classmate's and a teacher's shared courses (viewparticipants, viewdetails)", async () => {
    expect(ids(await coursesOf(student, SEED.gradedStudentId))).toContain(SEED.courseId);
    expect(ids(await coursesOf(student, SEED.teacherId))).toContain(SEED.courseId);
  });

  it("gives the admin any user's courses, but a hidden course only when that user may see it", async () => {
    expect(ids(await coursesOf(admin, 5))).toEqual([3, 4, 6, SEED.hiddenCourseId]);
    const phil = (await admin('core_enrol_get_enrolled_users', { courseid: SEED.hiddenCourseId })) as { id: number; roles: { shortname: string }[] }[];
    const philStudent = phil.find((u) => u.roles[0]!.shortname === 'student')!;
    const courses = await coursesOf(admin, philStudent.id);
    expect(courses.length).toBeGreaterThan(0);
    expect(ids(courses)).not.toContain(SEED.hiddenCourseId);
  });

  it('answers an empty list, not an error, for an unknown user', async () => {
    expect(await coursesOf(tessa, SEED.missingId)).toEqual([]);
  });
});
