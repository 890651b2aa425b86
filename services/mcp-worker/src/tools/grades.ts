import { z } from 'zod';
import { courseIdArg, moodleId, resolveCourseId } from './args.js';
import { formatWhen, isoFromUnix, numberOrNull, roundGrade } from './convert.js';
import { defineTool } from './define.js';
import { perObject } from './memo.js';
import { htmlToText } from './html.js';
import { indent, plural, renderList } from './render.js';

/** The fields of gradereport_user_get_grade_items this tool reads. */
interface RawGradeItem {
  id: number;
  itemname?: string | null;
  itemtype?: string;
  itemmodule?: string | null;
  iteminstance?: number;
  cmid?: number;
  graderaw?: number | null;
  gradeformatted?: string;
  grademin?: number;
  grademax?: number;
  percentageformatted?: string;
  feedback?: string;
  gradedategraded?: number | null;
  gradeishidden?: boolean;
}
interface RawUserGrades {
  userid: number;
  userfullname?: string;
  gradeitems?: RawGradeItem[];
}

/** Feedback comments are shown up to this length. */
const FEEDBACK_MAX_CHARS = 1000;

const itemSchema = z.object({
  id: z.number().int().describe('Grade item id.'),
  name: z.string().describe('Activity name, category name or "Course total".'),
  type: z.string().describe('"mod" (an activity), "category", "course" (the course total) or "manual".'),
  module: z.string().nullable().describe('Activity type for type "mod", e.g. assign or quiz.'),
  instanceId: z.number().int().nullable().describe('The activity id for type "mod" (assignmentId, quizId, ...).'),
  grade: z.number().nullable().describe('Grade as a number; null when not graded.'),
  gradeText: z.string().nullable().describe('Grade as Moodle displays it (may be a letter or scale item).'),
  max: z.number().nullable().describe('Maximum grade of the item.'),
  min: z.number().nullable(),
  percentage: z.string().nullable().describe('As Moodle formats it, e.g. "85.00 %"; null when not shown.'),
  feedback: z.string().nullable().describe('Feedback comment as plain text; null when none.'),
  gradedAt: z.string().nullable().describe('ISO 8601; null when not graded.'),
  hidden: z.boolean().describe('Hidden from the student.'),
});

const userSchema = z.object({
  userId: z.number().int(),
  fullName: z.string(),
  items: z.array(itemSchema),
});

/** One grade item of Moodle's answer, converted once per answer object (perObject). */
const toItem = perObject((i: RawGradeItem) => {
  const gradeText = i.gradeformatted && i.gradeformatted !== '-' ? htmlToText(i.gradeformatted) : null;
  return {
    id: i.id,
    name: i.itemname || (i.itemtype === 'course' ? 'Course total' : i.itemtype === 'category' ? 'Category total' : `Item ${i.id}`),
    type: i.itemtype ?? 'unknown',
    module: i.itemmodule || null,
    instanceId: i.itemtype === 'mod' ? (i.iteminstance ?? null) : null,
    grade: i.graderaw === null || i.graderaw === undefined ? null : roundGrade(i.graderaw),
    gradeText,
    max: numberOrNull(i.grademax),
    min: numberOrNull(i.grademin),
    percentage: i.percentageformatted && i.percentageformatted !== '-' ? i.percentageformatted : null,
    feedback: i.feedback ? htmlToText(i.feedback, FEEDBACK_MAX_CHARS) || null : null,
    gradedAt: isoFromUnix(i.gradedategraded),
    hidden: i.gradeishidden ?? false,
  };
});

export const getGrades = defineTool({
  name: 'get_grades',
  title: 'Gradebook of a course',
  description:
    'Returns the course gradebook: for each student, every grade item (assignments, quizzes, categories, course total) with the grade, ' +
    'its maximum, percentage, feedback comment and when it was graded. Pass userId for one student (recommended for large classes); ' +
    'omit it for the whole class. Use it for progress overviews or to check a grade saved with provide_assignment_feedback. ' +
    'Needs a courseId (from get_courses or search_courses) unless the server has a default course; userId comes from list_students.',
  inputSchema: z.object({
    courseId: courseIdArg,
    userId: moodleId('Only this student (user id from list_students). Omit for all students of the course.').optional(),
  }),
  outputSchema: z.object({ courseId: z.number().int(), users: z.array(userSchema) }),
  write: false,
  wsfunctions: ['gradereport_user_get_grade_items'],
  async run(args, ctx) {
    const courseId = resolveCourseId(args.courseId, ctx);
    // userid 0 asks Moodle for every user of the course.
    const res = await ctx.moodle.call<{ usergrades?: RawUserGrades[] }>(
      'gradereport_user_get_grade_items',
      { courseid: courseId, userid: args.userId ?? 0 },
      { signal: ctx.signal },
    );
    const users = (res.usergrades ?? []).map((u) => ({
      userId: u.userid,
      fullName: u.userfullname ?? '',
      items: (u.gradeitems ?? []).map(toItem),
    }));
    const text = [
      `Course ${courseId}: grades of ${plural(users.length, 'user')}`,
      renderList(
        users,
        (u) =>
          `${u.fullName} (user ${u.userId})\n` +
          indent(
            renderList(
              u.items,
              (i) =>
                `- ${i.name}: ${i.gradeText ?? (i.grade !== null ? String(i.grade) : '-')}${i.max !== null ? ` / ${i.max}` : ''}` +
                (i.gradedAt ? ` (graded ${formatWhen(i.gradedAt).slice(0, 10)})` : '') +
                (i.feedback ? `\n  feedback: ${i.feedback.slice(0, 160).replace(/\n/g, ' ')}${i.feedback.length > 160 ? '…' : ''}` : ''),
              '(no grade items)',
              15,
            ),
          ),
        'No users with grades.',
        10,
      ),
    ].join('\n');
    return { text, structured: { courseId, users } };
  },
});
