import { SEED, TEACHER_TOKEN } from '@moodle-mcp/moodle-sim';
import { MoodleError } from '../moodle/errors.js';
import { getCourseContents } from './contents.js';
import { getCourses, searchCourses } from './courses.js';
import { ToolInputError } from './errors.js';
import { invokeTool } from './invoke.js';
import { getSiteInfo } from './site.js';
import { ACCOUNTS, useSimMoodle } from './simMoodle.js';

const t = useSimMoodle();

describe.each(ACCOUNTS)('as $who', ({ token }) => {
  const ctx = (defaultCourseId?: number) => t.ctxAs(token, defaultCourseId);

  describe('get_site_info', () => {
    it('names the site, the acting account and the enabled functions', async () => {
      const { structured, text } = await invokeTool(getSiteInfo, {}, ctx());
      expect(structured.siteName).toContain('Riverside Academy');
      expect(structured.siteUrl).toBe(t.sim.url);
      expect(structured.user.id).toBe(SEED.teacherId);
      expect(structured.functions).toEqual(expect.arrayContaining(['mod_assign_save_grade', 'core_course_get_courses']));
      expect(text).toContain(`user id ${SEED.teacherId}`);
    });
  });

  describe('get_courses', () => {
    it("lists the account's own courses, without the site front page, with ISO dates", async () => {
      const { structured, text } = await invokeTool(getCourses, {}, ctx());
      const ids = structured.courses.map((c) => c.id);
      expect(ids).toEqual(expect.arrayContaining([SEED.courseId, SEED.otherCourseId]));
      expect(ids).not.toContain(SEED.siteCourseId);
      // Not taught by the demo teacher: not among their courses, whatever the token may see.
      expect(ids).not.toContain(SEED.hiddenCourseId);
      expect(structured.total).toBe(ids.length);
      const bio = structured.courses.find((c) => c.id === SEED.courseId)!;
      expect(bio).toMatchObject({ shortName: 'BIO101', fullName: 'Biology 101: Cells and Life', categoryId: SEED.categoryId, visible: true });
      expect(bio.summary).toBe('Biology 101: Cells and Life.');
      expect(bio.startDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(text).toMatch(/^Courses of this account \(1-\d+ of \d+\):/);
    });

    it('pages through the courses without gaps or repeats', async () => {
      const all = (await invokeTool(getCourses, { perPage: 100 }, ctx())).structured;
      expect(all.total).toBeGreaterThan(2);
      const first = (await invokeTool(getCourses, { page: 0, perPage: 2 }, ctx())).structured;
      const second = (await invokeTool(getCourses, { page: 1, perPage: 2 }, ctx())).structured;
      expect(first.courses.map((c) => c.id)).toEqual(all.courses.slice(0, 2).map((c) => c.id));
      expect(second.courses.map((c) => c.id)).toEqual(all.courses.slice(2, 4).map((c) => c.id));
      expect(first).toMatchObject({ page: 0, perPage: 2, total: all.total, hasMore: true });
      const last = (await invokeTool(getCourses, { page: Math.ceil(all.total / 2) - 1, perPage: 2 }, ctx())).structured;
      expect(last.hasMore).toBe(false);
    });

    it('returns just the requested courses by id; a hidden course only to an account that may see it', async () => {
      const { structured, text } = await invokeTool(getCourses, { courseIds: [SEED.hiddenCourseId, SEED.courseId, SEED.missingId] }, ctx());
      if (token === TEACHER_TOKEN) {
        // A teacher sees neither a hidden course they do not teach nor an unknown id.
        expect(structured.courses.map((c) => c.id)).toEqual([SEED.courseId]);
        expect(text).toContain(`Not found or not visible: ${SEED.hiddenCourseId}, ${SEED.missingId}`);
      } else {
        expect(structured.courses.map((c) => c.id)).toEqual([SEED.courseId, SEED.hiddenCourseId]);
        expect(structured.courses[1]!.visible).toBe(false);
        expect(text).toContain(`Not found or not visible: ${SEED.missingId}`);
      }
      expect(structured.courses[0]!.categoryName).toEqual(expect.any(String));
    });

    it('never asks for core_course_get_courses, which teachers may not call', async () => {
      t.sim.resetStats();
      await invokeTool(getCourses, {}, ctx());
      await invokeTool(getCourses, { courseIds: [SEED.courseId] }, ctx());
      expect(t.sim.stats().byFunction['core_course_get_courses']).toBeUndefined();
    });
  });

  describe('search_courses', () => {
    it('finds a course by words of its name', async () => {
      const { structured, text } = await invokeTool(searchCourses, { query: 'biology' }, ctx());
      expect(structured.courses.map((c) => c.id)).toEqual([SEED.courseId]);
      expect(structured).toMatchObject({ query: 'biology', total: 1, hasMore: false });
      expect(text).toContain(`[${SEED.courseId}] BIO101`);
    });

    it('says so when nothing matches', async () => {
      const { structured, text } = await invokeTool(searchCourses, { query: 'astrophysics' }, ctx());
      expect(structured.courses).toEqual([]);
      expect(text).toBe('No courses matching "astrophysics".');
    });
  });

  describe('get_course_contents', () => {
    it('lists sections in order with activities and their instance ids', async () => {
      const { structured } = await invokeTool(getCourseContents, { courseId: SEED.courseId }, ctx());
      expect(structured.sections.map((s) => s.number)).toEqual([0, 1, 2, 3, 4]);
      expect(structured.sections[1]!.name).toBe('Cells');
      const lab = structured.sections.flatMap((s) => s.modules).find((m) => m.cmid === SEED.assignmentCmid)!;
      expect(lab).toMatchObject({ type: 'assign', instanceId: SEED.assignmentId, name: 'Lab report: osmosis in potato cells', visible: true });
      expect(structured.moduleCount).toBe(structured.sections.reduce((n, s) => n + s.modules.length, 0));
    });

    it('keeps only the sections holding activities of the requested type', async () => {
      const { structured } = await invokeTool(getCourseContents, { courseId: SEED.courseId, moduleType: 'quiz' }, ctx());
      const modules = structured.sections.flatMap((s) => s.modules);
      expect(modules.map((m) => m.instanceId).sort()).toEqual([SEED.closedQuizId, SEED.quizId]);
      expect(modules.every((m) => m.type === 'quiz')).toBe(true);
      expect(structured.sections.every((s) => s.modules.length > 0)).toBe(true);
    });

    it("uses the server's default course when courseId is omitted", async () => {
      const { structured } = await invokeTool(getCourseContents, { sectionNumber: 1 }, ctx(SEED.otherCourseId));
      expect(structured.courseId).toBe(SEED.otherCourseId);
      expect(structured.sections.map((s) => s.name)).toEqual(['Stoichiometry']);
    });

    it('without courseId nor a default course, tells the assistant to pass courseId and where to find one', async () => {
      const call = invokeTool(getCourseContents, {}, ctx());
      await expect(call).rejects.toThrow(ToolInputError);
      await expect(call).rejects.toThrow(/pass courseId.*get_courses.*search_courses/s);
    });
  });
});

describe('as an editing teacher, in a course they do not teach', () => {
  it('get_course_contents fails with the permission error Moodle gives', async () => {
    const call = invokeTool(getCourseContents, { courseId: SEED.hiddenCourseId }, t.ctxAs(TEACHER_TOKEN));
    await expect(call).rejects.toThrow(MoodleError);
    await expect(call).rejects.toMatchObject({ kind: 'permission_denied' });
  });
});
