/** Quizzes, the user grade report, calendar action events and forums over real HTTP. */
import { DEMO_TOKEN, STUDENT_TOKEN, TEACHER_TOKEN } from '../auth/tokens';
import { SEED } from '../seedIds';
import type { SimHandle } from '../server';
import { caller, startTestSim, TEST_NOW_SEC } from '../testing/fixture';

let sim: SimHandle;
beforeAll(async () => {
  sim = await startTestSim();
});
afterAll(() => sim.stop());
const demo = caller(() => sim, DEMO_TOKEN);
const teacher = caller(() => sim, TEACHER_TOKEN);
const student = caller(() => sim, STUDENT_TOKEN);

describe('mod_quiz', () => {
  it('mod_quiz_get_quizzes_by_courses lists quizzes with unix-second dates and warns about inaccessible courses', async () => {
    const r = await student('mod_quiz_get_quizzes_by_courses', { courseids: [SEED.courseId, SEED.otherCourseId] });
    expect(r.quizzes.map((q: { id: number }) => q.id)).toEqual([SEED.closedQuizId, SEED.quizId]);
    expect(r.quizzes[1]).toMatchObject({ id: SEED.quizId, course: SEED.courseId, coursemodule: expect.any(Number), timeclose: expect.any(Number), grade: 10, sumgrades: 10, grademethod: 1 });
    expect(r.warnings).toEqual([{ item: 'course', itemid: SEED.otherCourseId, warningcode: '1', message: 'No access rights in course context' }]);
  });

  it.each(['mod_quiz_get_user_quiz_attempts', 'mod_quiz_get_user_attempts'])('%s returns attempts filtered by status', async (fn) => {
    const all = await teacher(fn, { quizid: SEED.quizId, userid: SEED.studentId, status: 'all' });
    expect(all).toEqual({ attempts: [expect.objectContaining({ quiz: SEED.quizId, userid: SEED.studentId, attempt: 1, state: 'inprogress', sumgrades: null, timefinish: 0 })], warnings: [] });
    expect((await teacher(fn, { quizid: SEED.quizId, userid: SEED.studentId })).attempts).toEqual([]);
    const done = await teacher(fn, { quizid: SEED.quizId, userid: SEED.gradedStudentId });
    expect(done.attempts[0]).toMatchObject({ state: 'finished', sumgrades: 8.5 });
    expect((await teacher(fn, { quizid: SEED.quizId, userid: SEED.lateStudentId, status: 'unfinished' })).attempts[0].state).toBe('overdue');
  });

  it("refuses a student reading another user's attempts and rejects a bad status", async () => {
    expect(await student('mod_quiz_get_user_quiz_attempts', { quizid: SEED.quizId, userid: SEED.gradedStudentId })).toMatchObject({ errorcode: 'nopermissions', message: expect.stringContaining('View quiz reports') });
    expect(await student('mod_quiz_get_user_quiz_attempts', { quizid: SEED.quizId, status: 'done' })).toMatchObject({ errorcode: 'invalidparameter', debuginfo: 'Invalid status value' });
    expect(await student('mod_quiz_get_user_quiz_attempts', { quizid: SEED.missingId })).toMatchObject({ errorcode: 'invalidrecord', message: 'Can not find data record in database table quiz. (' + `SELECT * FROM {quiz} WHERE id = ?\n[array (\n  0 => ${SEED.missingId},\n)])` });
  });
});

describe('gradereport_user_get_grade_items', () => {
  it('returns one usergrades entry per student with assign, quiz and course items', async () => {
    const r = await teacher('gradereport_user_get_grade_items', { courseid: SEED.courseId });
    expect(r.usergrades).toHaveLength(30);
    const g = r.usergrades.find((u: { userid: number }) => u.userid === SEED.gradedStudentId);
    expect(g).toMatchObject({ courseid: SEED.courseId, userfullname: expect.any(String), maxdepth: 2 });
    const types = g.gradeitems.map((i: { itemtype: string; itemmodule: string | null }) => `${i.itemtype}/${i.itemmodule}`);
    expect(types).toEqual(['mod/assign', 'mod/quiz', 'mod/assign', 'mod/quiz', 'mod/assign', 'course/null']);
    expect(g.gradeitems[0]).toMatchObject({ graderaw: 78, gradeformatted: '78.00', percentageformatted: '78.00 %', rangeformatted: '0&ndash;100', grademin: 0, grademax: 100, cmid: SEED.assignmentCmid });
  });

  it('lets a student read only their own grades', async () => {
    const own = await student('gradereport_user_get_grade_items', { courseid: SEED.courseId, userid: SEED.studentId });
    expect(own.usergrades).toHaveLength(1);
    expect(await student('gradereport_user_get_grade_items', { courseid: SEED.courseId, userid: SEED.gradedStudentId })).toEqual({ exception: 'moodle_exception', errorcode: 'nopermissiontoviewgrades', message: 'Can not view grades.' });
    expect(await student('gradereport_user_get_grade_items', { courseid: SEED.courseId })).toMatchObject({ errorcode: 'nopermissions', message: expect.stringContaining('View grades of other users') });
  });
});

describe('core_calendar_get_action_events_by_timesort', () => {
  it("gives a student upcoming 'due' and 'close' events sorted by timesort", async () => {
    const r = await student('core_calendar_get_action_events_by_timesort', { timesortfrom: TEST_NOW_SEC });
    expect(r.events.length).toBeGreaterThan(0);
    const sorts = r.events.map((e: { timesort: number }) => e.timesort);
    expect(sorts).toEqual([...sorts].sort((a, b) => a - b));
    expect(sorts.every((t: number) => t >= TEST_NOW_SEC)).toBe(true);
    expect(r.events[0]).toMatchObject({ modulename: expect.stringMatching(/assign|quiz/), eventtype: expect.stringMatching(/due|close/), isactionevent: true, course: expect.objectContaining({ id: expect.any(Number) }), action: expect.objectContaining({ name: expect.any(String), actionable: expect.any(Boolean) }) });
    expect([r.firstid, r.lastid]).toEqual([r.events[0].id, r.events.at(-1).id]);
  });

  it("gives the demo teacher 'gradingdue' events with the count to grade, and honours limitnum/aftereventid", async () => {
    const r = await demo('core_calendar_get_action_events_by_timesort', { timesortfrom: TEST_NOW_SEC, limitnum: 2 });
    expect(r.events).toHaveLength(2);
    expect(r.events[0]).toMatchObject({ eventtype: 'gradingdue', action: expect.objectContaining({ name: 'Grade', showitemcount: true, itemcount: expect.any(Number) }) });
    const next = await demo('core_calendar_get_action_events_by_timesort', { timesortfrom: TEST_NOW_SEC, limitnum: 2, aftereventid: r.lastid });
    expect(next.events[0].timesort).toBeGreaterThanOrEqual(r.events[1].timesort);
    expect(next.events[0].id).not.toBe(r.lastid);
  });

  it('rejects limitnum outside 1..50', async () => {
    expect(await demo('core_calendar_get_action_events_by_timesort', { limitnum: 51 })).toMatchObject({ errorcode: 'invalidparameter', debuginfo: 'Limit must be between 1 and 50 (inclusive)' });
  });
});

describe('mod_forum', () => {
  it('mod_forum_get_forums_by_courses returns a plain array of forums', async () => {
    const forums = await student('mod_forum_get_forums_by_courses', { courseids: [SEED.courseId] });
    expect(forums.map((f: { id: number; type: string }) => [f.id, f.type])).toEqual([[SEED.newsForumId, 'news'], [SEED.forumId, 'general']]);
    expect(forums[1]).toMatchObject({ course: SEED.courseId, cmid: expect.any(Number), numdiscussions: expect.any(Number), cancreatediscussions: true, introformat: 1 });
  });

  it('mod_forum_get_forum_discussions lists discussions (id = first post, discussion = discussion id)', async () => {
    const r = await student('mod_forum_get_forum_discussions', { forumid: SEED.forumId });
    expect(r.warnings).toEqual([]);
    expect(r.discussions.length).toBeGreaterThanOrEqual(2);
    expect(r.discussions[0]).toMatchObject({ id: expect.any(Number), discussion: expect.any(Number), name: expect.any(String), userfullname: expect.any(String), numreplies: expect.any(Number), pinned: false, created: expect.any(Number) });
    const paged = await student('mod_forum_get_forum_discussions', { forumid: SEED.forumId, page: 0, perpage: 1 });
    expect(paged.discussions).toHaveLength(1);
  });

  it('answers an unknown forum like Moodle (untranslated error code)', async () => {
    expect(await student('mod_forum_get_forum_discussions', { forumid: SEED.missingId })).toEqual({ exception: 'moodle_exception', errorcode: `Unable to find forum with id ${SEED.missingId}`, message: `error/Unable to find forum with id ${SEED.missingId}` });
  });
});
