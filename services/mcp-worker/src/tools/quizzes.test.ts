import { DEMO_TOKEN, FUNCTION_NAMES, SEED, TEACHER_TOKEN, startSim, testTokens, type SimHandle } from '@moodle-mcp/moodle-sim';
import { MoodleClient } from '../moodle/client.js';
import { MoodleError } from '../moodle/errors.js';
import { invokeTool } from './invoke.js';
import { getQuizAttempts, getQuizzes } from './quizzes.js';
import type { ToolContext } from './types.js';

/** A token whose service lacks mod_quiz_get_user_quiz_attempts, like one set up for Moodle before 4.5. */
const LEGACY_TOKEN = 'legacy0000000000000moodlesim000quiz';

let sim: SimHandle;
let moodle: MoodleClient;
let legacy: MoodleClient;
let teacher: MoodleClient;
/** The demo token (site admin) and an editing teacher's own token; see ACCOUNTS in simMoodle.ts. */
const accounts = [
  { who: 'site admin', api: () => moodle },
  { who: 'editing teacher', api: () => teacher },
];
const ctx = (api: MoodleClient = moodle, defaultCourseId?: number): ToolContext => ({ moodle: api, signal: new AbortController().signal, defaultCourseId });

beforeAll(async () => {
  sim = await startSim({
    port: 0,
    tokens: {
      ...testTokens(),
      [LEGACY_TOKEN]: { userid: SEED.teacherId, capabilities: 'all', functions: FUNCTION_NAMES.filter((f) => f !== 'mod_quiz_get_user_quiz_attempts') },
    },
  });
  moodle = new MoodleClient({ baseUrl: sim.url, token: DEMO_TOKEN, retries: 0 });
  legacy = new MoodleClient({ baseUrl: sim.url, token: LEGACY_TOKEN, retries: 0 });
  teacher = new MoodleClient({ baseUrl: sim.url, token: TEACHER_TOKEN, retries: 0 });
});
afterEach(() => sim.setFaults({ mode: 'none' }));
afterAll(async () => {
  moodle.close();
  legacy.close();
  teacher.close();
  await sim.stop();
});

describe.each(accounts)('as $who', ({ api }) => {
  describe('get_quizzes', () => {
    it('lists the quizzes of a course with dates, limits and grading scale', async () => {
      const { structured, text } = await invokeTool(getQuizzes, { courseId: SEED.courseId }, ctx(api()));
      expect(structured.quizzes.map((q) => q.id)).toEqual([SEED.closedQuizId, SEED.quizId]);
      const closed = structured.quizzes[0]!;
      expect(closed).toMatchObject({ name: 'Quiz 1: cell structure', timeLimitMinutes: 30, attemptsAllowed: 2, maxMarks: 10, maxGrade: 10 });
      expect(Date.parse(closed.closeDate!)).toBeLessThan(Date.now());
      expect(structured.quizzes[1]).toMatchObject({ timeLimitMinutes: null, attemptsAllowed: null });
      expect(text).toContain(`[${SEED.quizId}] Quiz 2: membranes and transport`);
    });

    it("uses the server's default course", async () => {
      const { structured } = await invokeTool(getQuizzes, {}, ctx(api(), SEED.otherCourseId));
      expect(structured.courseId).toBe(SEED.otherCourseId);
      expect(structured.quizzes.map((q) => q.name)).toEqual(['Quiz: reaction types']);
    });
  });

  describe('get_quiz_attempts', () => {
    it("returns a student's finished attempt with its marks", async () => {
      const { structured, text } = await invokeTool(getQuizAttempts, { quizId: SEED.quizId, userId: SEED.gradedStudentId }, ctx(api()));
      expect(structured.source).toBe('mod_quiz_get_user_quiz_attempts');
      expect(structured.attempts).toHaveLength(1);
      expect(structured.attempts[0]).toMatchObject({ attemptNumber: 1, state: 'finished', marks: 8.5 });
      expect(structured.attempts[0]!.finishedAt).toMatch(/Z$/);
      expect(text).toContain('marks 8.5');
    });

    it('filters unfinished attempts, which have no marks yet', async () => {
      const { structured } = await invokeTool(getQuizAttempts, { quizId: SEED.quizId, userId: SEED.ungradedStudentId, status: 'unfinished' }, ctx(api()));
      expect(structured.attempts).toEqual([expect.objectContaining({ state: 'inprogress', finishedAt: null, marks: null })]);
      const finished = (await invokeTool(getQuizAttempts, { quizId: SEED.quizId, userId: SEED.ungradedStudentId, status: 'finished' }, ctx(api()))).structured;
      expect(finished.attempts).toEqual([]);
    });
  });
});

describe('get_quizzes as an editing teacher, in a course they do not teach', () => {
  it("turns Moodle's warning for the course into the permission error", async () => {
    const call = invokeTool(getQuizzes, { courseId: SEED.hiddenCourseId }, ctx(teacher));
    await expect(call).rejects.toThrow(MoodleError);
    await expect(call).rejects.toMatchObject({ kind: 'permission_denied' });
    await expect(call).rejects.toThrow(`No access rights in course ${SEED.hiddenCourseId}`);
  });
});

describe('get_quiz_attempts fallbacks', () => {
  it('falls back to mod_quiz_get_user_attempts when the token lacks mod_quiz_get_user_quiz_attempts', async () => {
    const { structured } = await invokeTool(getQuizAttempts, { quizId: SEED.quizId, userId: SEED.gradedStudentId }, ctx(legacy));
    expect(structured.source).toBe('mod_quiz_get_user_attempts');
    expect(structured.attempts[0]).toMatchObject({ state: 'finished', marks: 8.5 });
  });

  it('falls back when the site does not know the function at all (Moodle before 4.5)', async () => {
    sim.setFaults({
      mode: 'exception',
      exception: 'dml_missing_record_exception',
      errorcode: 'invalidrecord',
      message: "Can't find data record in database table external_functions.",
      functions: ['mod_quiz_get_user_quiz_attempts'],
    });
    const { structured } = await invokeTool(getQuizAttempts, { quizId: SEED.quizId, userId: SEED.gradedStudentId }, ctx());
    expect(structured.source).toBe('mod_quiz_get_user_attempts');
  });

  it('does not fall back for a quiz that does not exist: that error is the answer', async () => {
    sim.resetStats();
    const call = invokeTool(getQuizAttempts, { quizId: SEED.missingId, userId: SEED.gradedStudentId }, ctx());
    await expect(call).rejects.toThrow(MoodleError);
    await expect(call).rejects.toMatchObject({ kind: 'not_found' });
    expect(sim.stats().byFunction['mod_quiz_get_user_attempts']).toBeUndefined();
  });
});
