import { SEED, TEACHER_TOKEN } from '@moodle-mcp/moodle-sim';
import { MoodleError } from '../moodle/errors.js';
import type { MoodleApi } from '../moodle/types.js';
import { ToolInputError } from './errors.js';
import { invokeTool } from './invoke.js';
import { listStudents } from './students.js';
import { ACCOUNTS, useSimMoodle } from './simMoodle.js';

const t = useSimMoodle();

describe.each(ACCOUNTS)('as $who', ({ token }) => {
  const ctx = (defaultCourseId?: number, api?: MoodleApi) => (api ? t.ctx(defaultCourseId, api) : t.ctxAs(token, defaultCourseId));

  describe('list_students', () => {
    it('lists only students by default, with ids, names, emails and last course access', async () => {
      const { structured, text } = await invokeTool(listStudents, { courseId: SEED.courseId, limit: 200 }, ctx());
      // BIO101: 30 students (ids 10-39) and two teachers.
      expect(structured.users.map((u) => u.id)).toEqual(Array.from({ length: 30 }, (_, i) => 10 + i));
      expect(structured.users.every((u) => u.roles.includes('student'))).toBe(true);
      const first = structured.users[0]!;
      expect(first.fullName).toBe('Amara Andersen');
      expect(first.email).toMatch(/@riverside\.example\.edu$/);
      expect(first.lastCourseAccess).toMatch(/Z$/);
      expect(structured.nextOffset).toBeNull();
      expect(text).toContain(`[${SEED.studentId}] Amara Andersen`);
    });

    it('filters by another role, or keeps everyone with role "all"', async () => {
      const teachers = (await invokeTool(listStudents, { courseId: SEED.courseId, role: 'teacher', limit: 200 }, ctx())).structured;
      expect(teachers.users.map((u) => u.id)).toEqual([SEED.nonEditingTeacherId]);
      const everyone = (await invokeTool(listStudents, { courseId: SEED.courseId, role: 'all', limit: 200 }, ctx())).structured;
      expect(everyone.users.map((u) => u.id)).toEqual(expect.arrayContaining([SEED.teacherId, SEED.nonEditingTeacherId, SEED.studentId]));
      // BIO101's staff changes with the simulator's demo teachers: count from its data.
      expect(everyone.users).toHaveLength(t.sim.store.enrolmentsOfCourse(SEED.courseId).length);
    });

    it('pages with limit/offset and hands out the next offset until the end', async () => {
      const page = (offset: number) => invokeTool(listStudents, { courseId: SEED.courseId, role: 'all', limit: 10, offset }, ctx());
      const seen: number[] = [];
      let offset: number | null = 0;
      let pages = 0;
      while (offset !== null) {
        const { structured } = await page(offset);
        expect(structured.scanned).toBeLessThanOrEqual(10);
        seen.push(...structured.users.map((u) => u.id));
        offset = structured.nextOffset;
        pages++;
      }
      const enrolled = t.sim.store.enrolmentsOfCourse(SEED.courseId).length;
      // A page of exactly 10 does not know it is the last: one more, empty, page follows then.
      expect(pages).toBe(Math.floor(enrolled / 10) + 1);
      expect(new Set(seen).size).toBe(enrolled);
    });

    it("uses the server's default course, and without one asks for courseId", async () => {
      const { structured } = await invokeTool(listStudents, { limit: 5 }, ctx(SEED.courseId));
      expect(structured.courseId).toBe(SEED.courseId);
      await expect(invokeTool(listStudents, {}, ctx())).rejects.toThrow(ToolInputError);
    });
  });
});

describe('list_students as an editing teacher, in a course they do not teach', () => {
  it('fails with the permission error Moodle gives', async () => {
    const call = invokeTool(listStudents, { courseId: SEED.hiddenCourseId }, t.ctxAs(TEACHER_TOKEN));
    await expect(call).rejects.toThrow(MoodleError);
    await expect(call).rejects.toMatchObject({ kind: 'permission_denied' });
  });
});
