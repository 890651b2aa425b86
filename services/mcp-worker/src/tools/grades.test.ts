import { SEED, TEACHER_TOKEN } from '@moodle-mcp/moodle-sim';
import { MoodleError } from '../moodle/errors.js';
import type { MoodleApi } from '../moodle/types.js';
import { ToolInputError } from './errors.js';
import { getGrades } from './grades.js';
import { invokeTool } from './invoke.js';
import { ACCOUNTS, useSimMoodle } from './simMoodle.js';

const t = useSimMoodle();

describe.each(ACCOUNTS)('as $who', ({ token }) => {
  const ctx = (defaultCourseId?: number, api?: MoodleApi) => (api ? t.ctx(defaultCourseId, api) : t.ctxAs(token, defaultCourseId));

  describe('get_grades', () => {
    it("returns one student's grade items with grade, maximum, feedback as text and the course total", async () => {
      const { structured, text } = await invokeTool(getGrades, { courseId: SEED.courseId, userId: SEED.gradedStudentId }, ctx());
      expect(structured.users).toHaveLength(1);
      const [student] = structured.users;
      expect(student).toMatchObject({ userId: SEED.gradedStudentId, fullName: 'Ben Hansen' });
      const lab = student!.items.find((i) => i.type === 'mod' && i.module === 'assign' && i.instanceId === SEED.assignmentId)!;
      expect(lab).toMatchObject({ name: 'Lab report: osmosis in potato cells', grade: 78, max: 100, feedback: 'Clear method; discuss the control group.' });
      expect(lab.gradedAt).toMatch(/Z$/);
      const total = student!.items.find((i) => i.type === 'course')!;
      expect(total.name).toBe('Course total');
      expect(total.max).toBeGreaterThan(0);
      expect(text).toContain('Lab report: osmosis in potato cells: 78');
    });

    it('shows ungraded items with a null grade', async () => {
      const { structured } = await invokeTool(getGrades, { courseId: SEED.courseId, userId: SEED.ungradedStudentId }, ctx());
      const lab = structured.users[0]!.items.find((i) => i.instanceId === SEED.assignmentId && i.module === 'assign')!;
      expect(lab).toMatchObject({ grade: null, gradedAt: null });
    });

    it('returns every student of the course without userId', async () => {
      const { structured, text } = await invokeTool(getGrades, { courseId: SEED.courseId }, ctx());
      expect(structured.users.map((u) => u.userId)).toEqual(expect.arrayContaining([SEED.studentId, SEED.gradedStudentId]));
      expect(structured.users.length).toBe(30);
      expect(text).toMatch(/… 20 more/);
    });

    it("uses the server's default course, and without one asks for courseId", async () => {
      const { structured } = await invokeTool(getGrades, { userId: SEED.studentId }, ctx(SEED.courseId));
      expect(structured.courseId).toBe(SEED.courseId);
      await expect(invokeTool(getGrades, { userId: SEED.studentId }, ctx())).rejects.toThrow(ToolInputError);
    });
  });
});

describe('get_grades as an editing teacher, in a course they do not teach', () => {
  it('fails with the permission error Moodle gives', async () => {
    const call = invokeTool(getGrades, { courseId: SEED.hiddenCourseId }, t.ctxAs(TEACHER_TOKEN));
    await expect(call).rejects.toThrow(MoodleError);
    await expect(call).rejects.toMatchObject({ kind: 'permission_denied' });
  });
});
