import { SEED } from '../seedIds';
import { buildDataset, STUDENT_COUNT } from './seed';

const NOW = Math.floor(Date.UTC(2025, 2, 10, 12) / 1000);

describe('the seeded data set', () => {
  const ds = buildDataset(NOW);

  it('is the same on every build for the same now', () => {
    expect(JSON.stringify(buildDataset(NOW))).toBe(JSON.stringify(ds));
  });

  it('moves every date with now, so upcoming deadlines always exist', () => {
    const later = buildDataset(NOW + 86400);
    expect(later.assigns.map((a) => a.duedate - NOW - 86400)).toEqual(ds.assigns.map((a) => a.duedate - NOW));
    expect(ds.assigns.filter((a) => a.duedate > NOW).length).toBeGreaterThanOrEqual(5);
    expect(ds.quizzes.filter((q) => q.timeopen <= NOW && q.timeclose > NOW).length).toBeGreaterThanOrEqual(3);
  });

  it('has the site course, six courses in two categories, four teaching staff and sixty students', () => {
    expect(ds.courses.find((c) => c.id === 1)?.format).toBe('site');
    expect(ds.courses.filter((c) => c.id !== 1)).toHaveLength(6);
    expect(new Set(ds.courses.filter((c) => c.id !== 1).map((c) => c.category))).toEqual(new Set([2, 3]));
    expect(new Set(ds.enrolments.filter((e) => e.role !== 'student').map((e) => e.userid))).toEqual(new Set([3, 4, 5, 6]));
    expect(ds.users.filter((u) => u.id >= 10)).toHaveLength(STUDENT_COUNT);
  });

  it('covers every submission and attempt state', () => {
    expect(new Set(ds.submissions.map((s) => s.status))).toEqual(new Set(['new', 'draft', 'submitted']));
    expect(ds.submissions.some((s) => s.status === 'submitted' && s.timemodified > ds.assigns.find((a) => a.id === s.assignment)!.duedate)).toBe(true);
    expect(new Set(ds.attempts.map((a) => a.state))).toEqual(new Set(['finished', 'inprogress', 'overdue', 'abandoned']));
    expect(ds.grades.length).toBeGreaterThan(50);
  });

  it('adds Jonas Noor (user 6) after every drawn record, without changing them', () => {
    const users = ds.users.map((u) => u.id);
    expect(users.at(-1)).toBe(6);
    expect(ds.users.find((u) => u.id === 6)).toMatchObject({ username: 'jnoor', firstname: 'Jonas', lastname: 'Noor', idnumber: '' });
    expect(ds.enrolments.filter((e) => e.userid === 6).map((e) => [e.courseid, e.role])).toEqual([[2, 'teachingassistant'], [6, 'teachingassistant']]);
    expect(ds.enrolments.slice(-2).every((e) => e.userid === 6)).toBe(true);
    expect(ds.overrides).toEqual(expect.arrayContaining([{ courseid: 2, role: 'teachingassistant', capability: 'mod/assign:grade', permission: 'prohibit' }, { courseid: 6, role: 'teachingassistant', capability: 'mod/quiz:grade', permission: 'prohibit' }]));
  });

  it('matches the SEED ids other code relies on', () => {
    const a = ds.assigns.find((x) => x.id === SEED.assignmentId)!;
    expect([a.course, a.cmid, a.grade, a.duedate < NOW]).toEqual([SEED.courseId, SEED.assignmentCmid, 100, true]);
    expect(ds.assigns.find((x) => x.id === SEED.upcomingAssignmentId)!.duedate).toBeGreaterThan(NOW);
    expect(ds.courses.find((c) => c.id === SEED.hiddenCourseId)!.visible).toBe(0);
    const role = (u: number, c: number) => ds.enrolments.find((e) => e.userid === u && e.courseid === c)?.role;
    expect([role(SEED.teacherId, SEED.courseId), role(SEED.teacherId, SEED.otherCourseId), role(SEED.nonEditingTeacherId, SEED.courseId)]).toEqual(['editingteacher', 'editingteacher', 'teacher']);
    expect(role(SEED.studentId, SEED.courseId)).toBe('student');
    expect(role(SEED.notInCourseStudentId, SEED.courseId)).toBeUndefined();
    const sub = (u: number) => ds.submissions.find((s) => s.assignment === SEED.assignmentId && s.userid === u)?.status;
    expect([SEED.ungradedStudentId, SEED.gradedStudentId, SEED.lateStudentId, SEED.draftStudentId, SEED.newStudentId].map(sub)).toEqual(['submitted', 'submitted', 'submitted', 'draft', 'new']);
    expect(ds.grades.filter((g) => g.assignment === SEED.assignmentId && [10, 11].includes(g.userid)).map((g) => [g.userid, g.grade])).toEqual([[11, 78]]);
    const quiz = ds.quizzes.find((q) => q.id === SEED.quizId)!;
    expect([quiz.course, quiz.timeopen < NOW, quiz.timeclose > NOW]).toEqual([SEED.courseId, true, true]);
    expect(ds.quizzes.find((q) => q.id === SEED.closedQuizId)!.timeclose).toBeLessThan(NOW);
    expect(ds.forums.find((f) => f.id === SEED.forumId)).toMatchObject({ course: SEED.courseId, type: 'general' });
    expect(ds.forums.find((f) => f.id === SEED.newsForumId)).toMatchObject({ course: SEED.courseId, type: 'news' });
  });
});
