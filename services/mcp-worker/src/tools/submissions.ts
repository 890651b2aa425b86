import { z } from 'zod';
import { moodleId } from './args.js';
import { formatWhen, isoFromUnix, parseGrade } from './convert.js';
import { defineTool } from './define.js';
import { ToolInputError } from './errors.js';
import { htmlToText, truncate } from './html.js';
import { renderList } from './render.js';

/** The fields of mod_assign_get_submissions this tool reads. */
interface RawSubmission {
  id: number;
  userid: number;
  attemptnumber?: number;
  timecreated?: number;
  timemodified?: number;
  status?: string;
  gradingstatus?: string;
  plugins?: {
    type?: string;
    editorfields?: { name?: string; text?: string }[];
    fileareas?: { area?: string; files?: { filename?: string }[] }[];
  }[];
}
interface RawSubmissionsAnswer {
  assignments?: { assignmentid: number; submissions?: RawSubmission[] }[];
}
/** The fields of mod_assign_get_grades this tool reads (grade is a decimal string, "-1.00000" = none). */
export interface RawGradesAnswer {
  assignments?: {
    assignmentid: number;
    grades?: { userid: number; attemptnumber?: number; grade?: string | number; grader?: number; timemodified?: number }[];
  }[];
}

/** Submitted online text is shown up to this length. */
const ONLINE_TEXT_MAX_CHARS = 2000;

/**
 * The read calls of this tool, with exactly these parameters, so that the
 * cache entries provide_assignment_feedback invalidates are the ones read here.
 */
export function assignmentReads(assignmentId: number) {
  return [
    { wsfunction: 'mod_assign_get_submissions', params: { assignmentids: [assignmentId] } },
    { wsfunction: 'mod_assign_get_grades', params: { assignmentids: [assignmentId] } },
  ];
}

const submissionSchema = z.object({
  userId: z.number().int().describe('Student user id (names: list_students).'),
  status: z.string().nullable().describe('Submission status: "new" (nothing yet), "draft", "submitted" or "reopened"; null when there is only a grade.'),
  gradingStatus: z.string().nullable().describe('Moodle grading status: "graded", "notgraded" or a marking workflow state; null if not reported.'),
  needsGrading: z.boolean().describe('Submitted and not yet graded.'),
  attemptNumber: z.number().int().nullable().describe('0 for the first attempt.'),
  lastModified: z.string().nullable().describe('Last change of the submission (ISO 8601).'),
  grade: z.number().nullable().describe('Grade given, in points of the assignment (maximum: get_assignments maxGrade); null when not graded.'),
  gradedAt: z.string().nullable().describe('ISO 8601; null when not graded.'),
  graderId: z.number().int().nullable(),
  onlineText: z.string().nullable().describe('Submitted online text as plain text (shortened); null when none.'),
  files: z.array(z.string()).describe('Names of submitted files.'),
});

export const getSubmissions = defineTool({
  name: 'get_submissions',
  title: 'Assignment submissions and grading status',
  description:
    'Returns the submissions to one assignment, for every student or just one: submission status (draft/submitted), ' +
    'when it was last changed, whether it still needs grading, the grade given so far, submitted online text and file names. ' +
    'Use it to see who handed in, what needs grading, or what a student wrote before giving feedback. ' +
    'Needs an assignmentId (from get_assignments); userId (from list_students) narrows it to one student. ' +
    'Students who never opened the assignment may have no entry; compare with list_students.',
  inputSchema: z.object({
    assignmentId: moodleId('Assignment id, from get_assignments.'),
    userId: moodleId('Only this student (user id from list_students). Omit for all students.').optional(),
    status: z.enum(['new', 'draft', 'submitted', 'reopened']).optional().describe('Only submissions in this status, e.g. "submitted". Omit for all.'),
  }),
  outputSchema: z.object({
    assignmentId: z.number().int(),
    counts: z.object({
      listed: z.number().int(),
      submitted: z.number().int(),
      draft: z.number().int(),
      graded: z.number().int(),
      needsGrading: z.number().int(),
    }),
    submissions: z.array(submissionSchema),
  }),
  write: false,
  wsfunctions: ['mod_assign_get_submissions', 'mod_assign_get_grades'],
  async run({ assignmentId, userId, status }, ctx) {
    const [subsRead, gradesRead] = assignmentReads(assignmentId);
    // Both reads are whole-assignment (filters apply below) so they share cache entries across calls.
    const [subs, grades] = await Promise.all([
      ctx.moodle.call<RawSubmissionsAnswer>(subsRead!.wsfunction, subsRead!.params, { signal: ctx.signal }),
      ctx.moodle.call<RawGradesAnswer>(gradesRead!.wsfunction, gradesRead!.params, { signal: ctx.signal }),
    ]);
    const entry = (subs.assignments ?? []).find((a) => a.assignmentid === assignmentId);
    if (!entry) {
      throw new ToolInputError(`Assignment ${assignmentId} was not found or this account may not grade it. Get assignment ids with get_assignments.`);
    }
    // Latest grade record per user (one per attempt).
    const gradeByUser = new Map<number, NonNullable<NonNullable<RawGradesAnswer['assignments']>[number]['grades']>[number]>();
    for (const g of (grades.assignments ?? []).find((a) => a.assignmentid === assignmentId)?.grades ?? []) {
      const seen = gradeByUser.get(g.userid);
      if (!seen || (g.attemptnumber ?? 0) >= (seen.attemptnumber ?? 0)) gradeByUser.set(g.userid, g);
    }
    const subByUser = new Map((entry.submissions ?? []).map((s) => [s.userid, s]));
    const userIds = [...new Set([...subByUser.keys(), ...gradeByUser.keys()])].sort((a, b) => a - b);

    const submissions = userIds
      .filter((id) => userId === undefined || id === userId)
      .map((id) => {
        const s = subByUser.get(id);
        const g = gradeByUser.get(id);
        const grade = parseGrade(g?.grade);
        const gradingStatus = s?.gradingstatus ?? null;
        const graded = grade !== null || gradingStatus === 'graded' || gradingStatus === 'released';
        return {
          userId: id,
          status: s?.status ?? null,
          gradingStatus,
          needsGrading: s?.status === 'submitted' && !graded,
          attemptNumber: s?.attemptnumber ?? g?.attemptnumber ?? null,
          lastModified: isoFromUnix(s?.timemodified),
          grade,
          gradedAt: grade === null ? null : isoFromUnix(g?.timemodified),
          graderId: grade === null ? null : (g?.grader ?? null),
          onlineText: onlineText(s),
          files: fileNames(s),
        };
      })
      .filter((s) => status === undefined || s.status === status);

    const counts = {
      listed: submissions.length,
      submitted: submissions.filter((s) => s.status === 'submitted').length,
      draft: submissions.filter((s) => s.status === 'draft').length,
      graded: submissions.filter((s) => s.grade !== null).length,
      needsGrading: submissions.filter((s) => s.needsGrading).length,
    };
    const text = [
      `Assignment ${assignmentId}${userId ? `, user ${userId}` : ''}: ${counts.listed} listed, ${counts.submitted} submitted, ` +
        `${counts.draft} draft, ${counts.graded} graded, ${counts.needsGrading} need grading`,
      renderList(
        submissions,
        (s) =>
          `- user ${s.userId}: ${s.status ?? 'no submission'}${s.lastModified ? ` (${formatWhen(s.lastModified)})` : ''}` +
          `, ${s.grade !== null ? `grade ${s.grade}` : s.needsGrading ? 'needs grading' : 'not graded'}` +
          (s.files.length ? `, files: ${s.files.join(', ')}` : '') +
          // Submitted text only for a single student: for a class it would bury the overview.
          (userId !== undefined && s.onlineText ? `\n  text: ${s.onlineText.slice(0, 300).replace(/\n/g, ' ')}${s.onlineText.length > 300 ? '…' : ''}` : ''),
        'No submissions match.',
      ),
    ].join('\n');
    return { text, structured: { assignmentId, counts, submissions } };
  },
});

function onlineText(s: RawSubmission | undefined): string | null {
  const texts = (s?.plugins ?? [])
    .filter((p) => p.type === 'onlinetext')
    .flatMap((p) => p.editorfields ?? [])
    .map((f) => htmlToText(f.text))
    .filter(Boolean);
  return texts.length ? truncate(texts.join('\n'), ONLINE_TEXT_MAX_CHARS) : null;
}

function fileNames(s: RawSubmission | undefined): string[] {
  return (s?.plugins ?? [])
    .filter((p) => p.type === 'file')
    .flatMap((p) => p.fileareas ?? [])
    .flatMap((a) => a.files ?? [])
    .map((f) => f.filename ?? '')
    .filter((name) => name !== '' && name !== '.');
}
