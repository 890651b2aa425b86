import { SEED, TEACHER_TOKEN } from '@moodle-mcp/moodle-sim';
import type { MoodleApi, MoodleCallOptions } from '../moodle/types.js';
import { getAssignments } from './assignments.js';
import { ToolInputError } from './errors.js';
import { provideAssignmentFeedback } from './feedback.js';
import { getGrades } from './grades.js';
import { invokeTool } from './invoke.js';
import { getSubmissions } from './submissions.js';
import { ACCOUNTS, useSimMoodle } from './simMoodle.js';

const t = useSimMoodle();

describe.each(ACCOUNTS)('as $who', ({ token }) => {
  const ctx = (defaultCourseId?: number, api?: MoodleApi) => (api ? t.ctx(defaultCourseId, api) : t.ctxAs(token, defaultCourseId));

  describe('get_assignments', () => {
    it('lists the assignments of a course with ISO dates and maximum points', async () => {
      const { structured, text } = await invokeTool(getAssignments, { courseId: SEED.courseId }, ctx());
      expect(structured.courseName).toBe('Biology 101: Cells and Life');
      const lab = structured.assignments.find((a) => a.id === SEED.assignmentId)!;
      expect(lab).toMatchObject({ cmid: SEED.assignmentCmid, name: 'Lab report: osmosis in potato cells', gradeType: 'points', maxGrade: 100 });
      expect(Date.parse(lab.dueDate!)).toBeLessThan(Date.now());
      expect(Date.parse(structured.assignments.find((a) => a.id === SEED.upcomingAssignmentId)!.dueDate!)).toBeGreaterThan(Date.now());
      expect(lab.description).toBe('Lab report: osmosis in potato cells. Submit one PDF or online text.');
      expect(text).toContain(`[${SEED.assignmentId}] Lab report`);
    });

    it("uses the server's default course", async () => {
      const { structured } = await invokeTool(getAssignments, {}, ctx(SEED.otherCourseId));
      expect(structured.courseId).toBe(SEED.otherCourseId);
      expect(structured.assignments.length).toBeGreaterThan(0);
    });

    it('explains a course Moodle returns nothing for', async () => {
      await expect(invokeTool(getAssignments, { courseId: SEED.missingId }, ctx())).rejects.toThrow(
        new RegExp(`no assignments for course ${SEED.missingId}.*get_courses`),
      );
    });
  });

  describe('get_submissions', () => {
    it('reports status, grading state and grade of every submission', async () => {
      const { structured } = await invokeTool(getSubmissions, { assignmentId: SEED.assignmentId }, ctx());
      const byUser = new Map(structured.submissions.map((s) => [s.userId, s]));
      expect(byUser.get(SEED.ungradedStudentId)).toMatchObject({ status: 'submitted', gradingStatus: 'notgraded', needsGrading: true, grade: null });
      expect(byUser.get(SEED.gradedStudentId)).toMatchObject({
        status: 'submitted',
        gradingStatus: 'graded',
        needsGrading: false,
        grade: 78,
        graderId: SEED.teacherId,
      });
      expect(byUser.get(SEED.draftStudentId)).toMatchObject({ status: 'draft', needsGrading: false });
      expect(byUser.get(SEED.newStudentId)).toMatchObject({ status: 'new', onlineText: null });
      expect(byUser.get(SEED.ungradedStudentId)!.onlineText).toBe(`Submission by user ${SEED.ungradedStudentId} for "Lab report: osmosis in potato cells".`);
      expect(structured.counts.listed).toBe(structured.submissions.length);
      expect(structured.counts.needsGrading).toBe(structured.submissions.filter((s) => s.needsGrading).length);
    });

    it('narrows to one student or one status', async () => {
      const one = (await invokeTool(getSubmissions, { assignmentId: SEED.assignmentId, userId: SEED.lateStudentId }, ctx())).structured;
      expect(one.submissions.map((s) => s.userId)).toEqual([SEED.lateStudentId]);
      const drafts = (await invokeTool(getSubmissions, { assignmentId: SEED.assignmentId, status: 'draft' }, ctx())).structured;
      expect(drafts.submissions.length).toBeGreaterThan(0);
      expect(drafts.submissions.every((s) => s.status === 'draft')).toBe(true);
    });

    it('tells the assistant where assignment ids come from when the id is unknown', async () => {
      const call = invokeTool(getSubmissions, { assignmentId: SEED.missingId }, ctx());
      await expect(call).rejects.toThrow(ToolInputError);
      await expect(call).rejects.toThrow(/get_assignments/);
    });
  });
});

// After every account's reads: these change the submissions the reads check.
describe.each(ACCOUNTS)('as $who', ({ token }) => {
  const ctx = (defaultCourseId?: number, api?: MoodleApi) => (api ? t.ctx(defaultCourseId, api) : t.ctxAs(token, defaultCourseId));

  describe('provide_assignment_feedback', () => {
    it('saves grade and comment so that get_submissions and get_grades show them', async () => {
      const student = SEED.ungradedStudentId;
      const { structured, text } = await invokeTool(
        provideAssignmentFeedback,
        { assignmentId: SEED.assignmentId, userId: student, grade: 91.5, feedback: 'Careful method.\n\nCompare with a control <next time>.' },
        ctx(),
      );
      expect(structured).toEqual({ saved: true, assignmentId: SEED.assignmentId, userId: student, grade: 91.5, feedbackUpdated: true });
      expect(text).toContain('Saved grade 91.5');

      const subs = (await invokeTool(getSubmissions, { assignmentId: SEED.assignmentId, userId: student }, ctx())).structured;
      expect(subs.submissions[0]).toMatchObject({ grade: 91.5, gradingStatus: 'graded', needsGrading: false, graderId: SEED.teacherId });

      const grades = (await invokeTool(getGrades, { courseId: SEED.courseId, userId: student }, ctx())).structured;
      const item = grades.users[0]!.items.find((i) => i.module === 'assign' && i.instanceId === SEED.assignmentId)!;
      expect(item).toMatchObject({ grade: 91.5, max: 100, feedback: 'Careful method.\nCompare with a control <next time>.' });
    });

    it('keeps the existing comment when no feedback is given', async () => {
      const student = SEED.gradedStudentId;
      const { structured } = await invokeTool(provideAssignmentFeedback, { assignmentId: SEED.assignmentId, userId: student, grade: 80 }, ctx());
      expect(structured.feedbackUpdated).toBe(false);
      const grades = (await invokeTool(getGrades, { courseId: SEED.courseId, userId: student }, ctx())).structured;
      const item = grades.users[0]!.items.find((i) => i.instanceId === SEED.assignmentId)!;
      expect(item).toMatchObject({ grade: 80, feedback: 'Clear method; discuss the control group.' });
    });

    it('is a write that invalidates the reads it makes stale', async () => {
      const calls: { wsfunction: string; opts?: MoodleCallOptions }[] = [];
      const recording: MoodleApi = {
        call: (wsfunction, params, opts) => {
          calls.push({ wsfunction, opts });
          return t.client(token).call(wsfunction, params, opts);
        },
      };
      await invokeTool(provideAssignmentFeedback, { assignmentId: SEED.assignmentId, userId: SEED.lateStudentId, grade: 60 }, ctx(undefined, recording));
      const save = calls.find((c) => c.wsfunction === 'mod_assign_save_grade')!;
      expect(save.opts?.write).toBe(true);
      expect(save.opts?.invalidates).toEqual(
        expect.arrayContaining([
          { wsfunction: 'mod_assign_get_submissions', params: { assignmentids: [SEED.assignmentId] } },
          { wsfunction: 'mod_assign_get_grades', params: { assignmentids: [SEED.assignmentId] } },
          { wsfunction: 'gradereport_user_get_grade_items' },
        ]),
      );
      expect(calls.filter((c) => c.opts?.write).map((c) => c.wsfunction)).toEqual(['mod_assign_save_grade']);
    });

    it('reports a grade Moodle silently refused (above the maximum)', async () => {
      const call = invokeTool(provideAssignmentFeedback, { assignmentId: SEED.assignmentId, userId: SEED.draftStudentId, grade: 150 }, ctx());
      await expect(call).rejects.toThrow(ToolInputError);
      await expect(call).rejects.toThrow(/did not store grade 150.*maxGrade/);
    });

    it('refuses a negative grade before calling Moodle', async () => {
      const before = t.sim.stats();
      await expect(invokeTool(provideAssignmentFeedback, { assignmentId: SEED.assignmentId, userId: SEED.studentId, grade: -1 }, ctx())).rejects.toThrow();
      expect(t.sim.stats()).toEqual(before);
    });
  });
});

describe('get_assignments as an editing teacher, in a course they do not teach', () => {
  it("passes on Moodle's warning and says where course ids come from", async () => {
    const call = invokeTool(getAssignments, { courseId: SEED.hiddenCourseId }, t.ctxAs(TEACHER_TOKEN));
    await expect(call).rejects.toThrow(ToolInputError);
    await expect(call).rejects.toThrow(new RegExp(`no assignments for course ${SEED.hiddenCourseId} \\(.+\\).*get_courses`));
  });
});
