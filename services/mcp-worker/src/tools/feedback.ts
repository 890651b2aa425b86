import { z } from 'zod';
import { moodleId } from './args.js';
import { parseGrade } from './convert.js';
import { defineTool } from './define.js';
import { ToolInputError } from './errors.js';
import { textToHtml } from './html.js';
import { assignmentReads, type RawGradesAnswer } from './submissions.js';
import type { ToolContext } from './types.js';

/** Moodle's FORMAT_HTML, the format of the feedback comment sent. */
const FORMAT_HTML = 1;

export const provideAssignmentFeedback = defineTool({
  name: 'provide_assignment_feedback',
  title: 'Grade an assignment submission',
  description:
    "Saves a grade and, optionally, a written feedback comment for one student's assignment submission in Moodle " +
    '(the latest attempt; the grade is applied to the whole group for group assignments). This changes Moodle: ' +
    'students may be notified and see it. Confirm grade and text with the teacher before calling. ' +
    'Needs assignmentId (from get_assignments) and userId (from list_students or get_submissions). ' +
    "The grade is in the assignment's points (0 to get_assignments maxGrade); the tool reads the grade back and reports an error " +
    'when Moodle did not store it (Moodle silently ignores a grade above the maximum). ' +
    'Calling again replaces the grade and comment. The saved grade and comment show in get_submissions and get_grades.',
  inputSchema: z.object({
    assignmentId: moodleId('Assignment id, from get_assignments.'),
    userId: moodleId("The student's user id, from list_students or get_submissions."),
    grade: z.number().min(0).describe("Grade in points, from 0 up to the assignment's maxGrade (get_assignments). Decimals allowed."),
    feedback: z
      .string()
      .max(20_000)
      .optional()
      .describe(
        'Feedback comment for the student, as plain text (blank lines separate paragraphs). ' +
          'Omit to keep any existing comment unchanged; pass "" to clear it.',
      ),
  }),
  outputSchema: z.object({
    saved: z.literal(true),
    assignmentId: z.number().int(),
    userId: z.number().int(),
    grade: z.number(),
    feedbackUpdated: z.boolean().describe('False when no feedback text was given and the existing comment was kept.'),
  }),
  write: true,
  wsfunctions: ['mod_assign_save_grade', 'mod_assign_get_grades'],
  async run({ assignmentId, userId, grade, feedback }, ctx) {
    await ctx.moodle.call(
      'mod_assign_save_grade',
      {
        assignmentid: assignmentId,
        userid: userId,
        grade,
        attemptnumber: -1, // the latest attempt
        addattempt: 0, // do not reopen for another attempt
        workflowstate: '', // leave the marking workflow state as it is
        applytoall: 1, // team assignments: grade the whole team, as Moodle's grader does by default
        // Without plugindata Moodle keeps the current feedback comment.
        plugindata: feedback === undefined ? undefined : { assignfeedbackcomments_editor: { text: textToHtml(feedback), format: FORMAT_HTML } },
      },
      {
        write: true,
        signal: ctx.signal,
        invalidates: [
          ...assignmentReads(assignmentId),
          // The gradebook copy of the grade and the feedback, for that student's course (course unknown here).
          { wsfunction: 'gradereport_user_get_grade_items' },
          // Teachers' "N submissions to grade" action events count down as submissions get graded.
          { wsfunction: 'core_calendar_get_action_events_by_timesort' },
        ],
      },
    );
    await confirmStored(ctx, assignmentId, userId, grade);
    const text =
      `Saved grade ${grade} for user ${userId} on assignment ${assignmentId}` +
      (feedback === undefined ? ' (feedback comment unchanged).' : feedback === '' ? ' and cleared the feedback comment.' : ' with the feedback comment.');
    return { text, structured: { saved: true as const, assignmentId, userId, grade, feedbackUpdated: feedback !== undefined } };
  },
});

/**
 * mod_assign_save_grade answers null even when Moodle did not store the grade:
 * assign::update_grade silently refuses a grade above the assignment's maximum
 * (or otherwise out of range). So the stored grade is read back, after the
 * write invalidated the cached reads, and a mismatch is reported.
 */
async function confirmStored(ctx: ToolContext, assignmentId: number, userId: number, grade: number): Promise<void> {
  const [, gradesRead] = assignmentReads(assignmentId);
  const res = await ctx.moodle.call<RawGradesAnswer>(gradesRead!.wsfunction, gradesRead!.params, { signal: ctx.signal });
  const stored = (res.assignments ?? [])
    .find((a) => a.assignmentid === assignmentId)
    ?.grades?.filter((g) => g.userid === userId)
    .sort((a, b) => (b.attemptnumber ?? 0) - (a.attemptnumber ?? 0))[0];
  const storedGrade = parseGrade(stored?.grade);
  if (storedGrade === null || Math.abs(storedGrade - grade) > 1e-5) {
    throw new ToolInputError(
      `Moodle did not store grade ${grade} for user ${userId} on assignment ${assignmentId} ` +
        `(its grade is ${storedGrade ?? 'not set'}). The grade is probably above the assignment's maximum, or the assignment is not graded in points: check maxGrade with get_assignments. ` +
        'A feedback comment sent with it may have been saved.',
    );
  }
}
