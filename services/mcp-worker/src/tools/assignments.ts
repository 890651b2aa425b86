import { z } from 'zod';
import { courseIdArg, resolveCourseId } from './args.js';
import { flag, formatWhen, isoFromUnix } from './convert.js';
import { defineTool } from './define.js';
import { ToolInputError } from './errors.js';
import { htmlToText, SUMMARY_MAX_CHARS } from './html.js';
import { perObject } from './memo.js';
import { renderList } from './render.js';

/** The fields of mod_assign_get_assignments this tool reads. */
interface RawAssignment {
  id: number;
  cmid?: number;
  course?: number;
  name?: string;
  duedate?: number;
  allowsubmissionsfromdate?: number;
  cutoffdate?: number;
  gradingduedate?: number;
  grade?: number;
  teamsubmission?: number;
  maxattempts?: number;
  intro?: string;
}
interface RawAssignmentsAnswer {
  courses?: { id: number; fullname?: string; shortname?: string; assignments?: RawAssignment[] }[];
  warnings?: { item?: string; itemid?: number; warningcode?: string; message?: string }[];
}

/**
 * How an assignment is graded. Moodle's `grade` field: > 0 is a point maximum,
 * < 0 is the id of a scale (negated), 0 means not graded.
 */
export function gradeKind(grade: number | undefined): { gradeType: 'points' | 'scale' | 'none'; maxGrade: number | null } {
  if (grade === undefined || grade === 0) return { gradeType: 'none', maxGrade: null };
  return grade > 0 ? { gradeType: 'points', maxGrade: grade } : { gradeType: 'scale', maxGrade: null };
}

const assignmentSchema = z.object({
  id: z.number().int().describe('Assignment id: pass it as assignmentId to get_submissions and provide_assignment_feedback.'),
  cmid: z.number().int().nullable().describe('Course module id.'),
  name: z.string(),
  dueDate: z.string().nullable().describe('ISO 8601; null when there is no due date.'),
  cutoffDate: z.string().nullable().describe('No submissions accepted after this (ISO 8601); null when none.'),
  allowSubmissionsFrom: z.string().nullable().describe('ISO 8601; null when always open.'),
  gradingDueDate: z.string().nullable().describe('Date the teacher planned to finish grading (ISO 8601); null when none.'),
  gradeType: z.enum(['points', 'scale', 'none']),
  maxGrade: z.number().nullable().describe('Maximum points for gradeType "points"; null otherwise.'),
  teamSubmission: z.boolean().nullable(),
  description: z.string().describe('Assignment description as plain text, shortened (empty when hidden or none).'),
});

/** One item of Moodle's answer, converted once per answer object (perObject). */
const toAssignment = perObject((a: RawAssignment) => ({
  id: a.id,
  cmid: a.cmid ?? null,
  name: a.name ?? '',
  dueDate: isoFromUnix(a.duedate),
  cutoffDate: isoFromUnix(a.cutoffdate),
  allowSubmissionsFrom: isoFromUnix(a.allowsubmissionsfromdate),
  gradingDueDate: isoFromUnix(a.gradingduedate),
  ...gradeKind(a.grade),
  teamSubmission: flag(a.teamsubmission),
  description: htmlToText(a.intro, SUMMARY_MAX_CHARS),
}));

export const getAssignments = defineTool({
  name: 'get_assignments',
  title: 'Assignments of a course',
  description:
    'Lists the assignments of a course with their assignment ids, names, opening, due and cut-off dates, and how they are graded ' +
    '(maximum points). Use it to find the assignmentId for get_submissions and provide_assignment_feedback, or to answer what is due. ' +
    'Needs a courseId (from get_courses or search_courses) unless the server has a default course.',
  inputSchema: z.object({ courseId: courseIdArg }),
  outputSchema: z.object({
    courseId: z.number().int(),
    courseName: z.string(),
    assignments: z.array(assignmentSchema),
  }),
  write: false,
  wsfunctions: ['mod_assign_get_assignments'],
  async run(args, ctx) {
    const courseId = resolveCourseId(args.courseId, ctx);
    const res = await ctx.moodle.call<RawAssignmentsAnswer>('mod_assign_get_assignments', { courseids: [courseId] }, { signal: ctx.signal });
    const course = (res.courses ?? []).find((c) => c.id === courseId);
    if (!course) {
      // Moodle answers an unknown or inaccessible course with a warning, not an error.
      const warning = (res.warnings ?? []).find((w) => w.itemid === courseId)?.message;
      throw new ToolInputError(
        `Moodle returned no assignments for course ${courseId}${warning ? ` (${warning})` : ''}. ` +
          'Check the courseId with get_courses; the account must be enrolled in the course.',
      );
    }
    const assignments = (course.assignments ?? []).map(toAssignment);
    const courseName = course.fullname ?? course.shortname ?? '';
    const text = [
      `${courseName} (course ${courseId}): ${assignments.length} assignment${assignments.length === 1 ? '' : 's'}`,
      renderList(
        assignments,
        (a) =>
          `- [${a.id}] ${a.name}: due ${formatWhen(a.dueDate)}` +
          (a.cutoffDate ? `, cut-off ${formatWhen(a.cutoffDate)}` : '') +
          (a.gradeType === 'points' ? `, out of ${a.maxGrade}` : a.gradeType === 'scale' ? ', graded on a scale' : ', not graded'),
        'No assignments.',
      ),
    ].join('\n');
    return { text, structured: { courseId, courseName, assignments } };
  },
});
