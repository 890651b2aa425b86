import { z } from 'zod';
import { MoodleError } from '../moodle/errors.js';
import { courseIdArg, moodleId, resolveCourseId } from './args.js';
import { throwIfCourseRefused, type RawWarning } from './courseAccess.js';
import { formatWhen, isoFromUnix, numberOrNull, roundGrade } from './convert.js';
import { defineTool } from './define.js';
import { htmlToText, SUMMARY_MAX_CHARS } from './html.js';
import { perObject } from './memo.js';
import { renderList } from './render.js';
import type { ToolContext } from './types.js';

/** The fields of mod_quiz_get_quizzes_by_courses this tool reads. */
interface RawQuiz {
  id: number;
  coursemodule?: number;
  course?: number;
  name?: string;
  intro?: string;
  timeopen?: number;
  timeclose?: number;
  timelimit?: number;
  attempts?: number;
  sumgrades?: number;
  grade?: number;
}

const quizSchema = z.object({
  id: z.number().int().describe('Quiz id: pass it as quizId to get_quiz_attempts.'),
  cmid: z.number().int().nullable().describe('Course module id.'),
  name: z.string(),
  openDate: z.string().nullable().describe('ISO 8601; null when always open.'),
  closeDate: z.string().nullable().describe('ISO 8601; null when it never closes.'),
  timeLimitMinutes: z.number().nullable().describe('Time limit per attempt; null when none.'),
  attemptsAllowed: z.number().int().nullable().describe('Attempts allowed per student; null for unlimited.'),
  maxMarks: z.number().nullable().describe('Sum of the question marks: the scale of marks in get_quiz_attempts.'),
  maxGrade: z.number().nullable().describe('The quiz grade is scaled to be out of this.'),
  description: z.string().describe('Quiz description as plain text, shortened.'),
});

/** One item of Moodle's answer, converted once per answer object (perObject). */
const toQuiz = perObject((q: RawQuiz) => ({
  id: q.id,
  cmid: q.coursemodule ?? null,
  name: q.name ?? '',
  openDate: isoFromUnix(q.timeopen),
  closeDate: isoFromUnix(q.timeclose),
  timeLimitMinutes: q.timelimit ? roundGrade(q.timelimit / 60) : null,
  attemptsAllowed: q.attempts ? q.attempts : null,
  maxMarks: numberOrNull(q.sumgrades),
  maxGrade: numberOrNull(q.grade),
  description: htmlToText(q.intro, SUMMARY_MAX_CHARS),
}));

export const getQuizzes = defineTool({
  name: 'get_quizzes',
  title: 'Quizzes of a course',
  description:
    'Lists the quizzes of a course with their quiz ids, names, open and close dates, time limit, attempts allowed, ' +
    'total marks and maximum grade. Use it to find the quizId for get_quiz_attempts, or to answer when a quiz opens or closes. ' +
    'Needs a courseId (from get_courses or search_courses) unless the server has a default course.',
  inputSchema: z.object({ courseId: courseIdArg }),
  outputSchema: z.object({ courseId: z.number().int(), quizzes: z.array(quizSchema) }),
  write: false,
  wsfunctions: ['mod_quiz_get_quizzes_by_courses'],
  async run(args, ctx) {
    const courseId = resolveCourseId(args.courseId, ctx);
    const res = await ctx.moodle.call<{ quizzes?: RawQuiz[]; warnings?: RawWarning[] }>(
      'mod_quiz_get_quizzes_by_courses',
      { courseids: [courseId] },
      { signal: ctx.signal },
    );
    throwIfCourseRefused('mod_quiz_get_quizzes_by_courses', res.warnings, courseId);
    const quizzes = (res.quizzes ?? []).filter((q) => q.course === undefined || q.course === courseId).map(toQuiz);
    const text = [
      `Course ${courseId}: ${quizzes.length} quiz${quizzes.length === 1 ? '' : 'zes'}`,
      renderList(
        quizzes,
        (q) =>
          `- [${q.id}] ${q.name}: opens ${formatWhen(q.openDate)}, closes ${formatWhen(q.closeDate)}` +
          (q.timeLimitMinutes ? `, ${q.timeLimitMinutes} min` : '') +
          `, ${q.attemptsAllowed ?? 'unlimited'} attempt(s)` +
          (q.maxGrade !== null ? `, graded out of ${q.maxGrade}` : ''),
        'No quizzes.',
      ),
    ].join('\n');
    return { text, structured: { courseId, quizzes } };
  },
});

/** The fields of an attempt (mod_quiz_get_user_quiz_attempts and mod_quiz_get_user_attempts) this tool reads. */
interface RawAttempt {
  id: number;
  attempt?: number;
  state?: string;
  timestart?: number;
  timefinish?: number;
  sumgrades?: number | null;
  preview?: number;
}

/** Moodle 4.5+; older sites only have the function it replaces. */
const ATTEMPTS_FN = 'mod_quiz_get_user_quiz_attempts';
const LEGACY_ATTEMPTS_FN = 'mod_quiz_get_user_attempts';

/**
 * True when Moodle says the function itself does not exist or is not in the
 * token's service — not when a record (the quiz, the user) is missing: an
 * unknown function is reported as a missing row of table external_functions.
 */
export function isMissingFunction(err: unknown): boolean {
  if (!(err instanceof MoodleError)) return false;
  if (err.kind === 'function_unavailable') return true;
  return err.moodleErrorCode === 'invalidrecord' && /external_functions/i.test(err.message);
}

async function fetchAttempts(ctx: ToolContext, params: { quizid: number; userid: number; status: string; includepreviews: boolean }) {
  try {
    const res = await ctx.moodle.call<{ attempts?: RawAttempt[] }>(ATTEMPTS_FN, params, { signal: ctx.signal });
    return { attempts: res.attempts ?? [], source: ATTEMPTS_FN };
  } catch (err) {
    if (!isMissingFunction(err)) throw err;
    const res = await ctx.moodle.call<{ attempts?: RawAttempt[] }>(LEGACY_ATTEMPTS_FN, params, { signal: ctx.signal });
    return { attempts: res.attempts ?? [], source: LEGACY_ATTEMPTS_FN };
  }
}

const attemptSchema = z.object({
  id: z.number().int().describe('Attempt id.'),
  attemptNumber: z.number().int().nullable().describe('1 for the first attempt.'),
  state: z.string().describe('inprogress, overdue, submitted, finished, abandoned or notstarted.'),
  startedAt: z.string().nullable().describe('ISO 8601.'),
  finishedAt: z.string().nullable().describe('ISO 8601; null while not submitted.'),
  marks: z.number().nullable().describe("Marks scored (scale: the quiz's maxMarks in get_quizzes); null while unfinished or when marks are hidden."),
});

export const getQuizAttempts = defineTool({
  name: 'get_quiz_attempts',
  title: "A student's quiz attempts",
  description:
    "Returns one student's attempts at one quiz: state (in progress, finished, ...), start and finish times and marks scored. " +
    'Use it to check whether and how a student did a quiz. Needs quizId (from get_quizzes) and userId (from list_students). ' +
    "Marks are raw question marks; get_quizzes gives the quiz's maxMarks and the maxGrade they scale to.",
  inputSchema: z.object({
    quizId: moodleId('Quiz id, from get_quizzes.'),
    userId: moodleId("The student's user id, from list_students."),
    status: z
      .enum(['all', 'finished', 'unfinished'])
      .default('all')
      .describe('"finished" for submitted attempts only, "unfinished" for those in progress, "all" (default) for both.'),
  }),
  outputSchema: z.object({
    quizId: z.number().int(),
    userId: z.number().int(),
    status: z.string(),
    attempts: z.array(attemptSchema),
    source: z.string().describe('Moodle function that answered (older sites use mod_quiz_get_user_attempts).'),
  }),
  write: false,
  // Only the current function: listing the fallback too would flag sites that rightly lack one of the two.
  wsfunctions: [ATTEMPTS_FN],
  async run({ quizId, userId, status }, ctx) {
    const { attempts: raw, source } = await fetchAttempts(ctx, { quizid: quizId, userid: userId, status, includepreviews: false });
    const attempts = raw.map((a) => ({
      id: a.id,
      attemptNumber: a.attempt ?? null,
      state: a.state ?? 'unknown',
      startedAt: isoFromUnix(a.timestart),
      finishedAt: isoFromUnix(a.timefinish),
      marks: a.sumgrades === null || a.sumgrades === undefined ? null : roundGrade(a.sumgrades),
    }));
    const text = [
      `Quiz ${quizId}, user ${userId}: ${attempts.length} attempt${attempts.length === 1 ? '' : 's'} (${status})`,
      renderList(
        attempts,
        (a) =>
          `- #${a.attemptNumber ?? '?'} ${a.state}: started ${formatWhen(a.startedAt)}` +
          (a.finishedAt ? `, finished ${formatWhen(a.finishedAt)}` : '') +
          (a.marks !== null ? `, marks ${a.marks}` : ''),
        'No attempts.',
      ),
    ].join('\n');
    return { text, structured: { quizId, userId, status, attempts, source } };
  },
});
