import { SEED, STUDENT_TOKEN, TEACHER_TOKEN } from '@moodle-mcp/moodle-sim';
import { MoodleError } from '../moodle/errors.js';
import { getUpcomingDeadlines } from './deadlines.js';
import { invokeTool } from './invoke.js';
import { ACCOUNTS, useSimMoodle } from './simMoodle.js';

const t = useSimMoodle();
const DAY_MS = 86_400_000;

describe.each(ACCOUNTS)('get_upcoming_deadlines as $who', ({ token }) => {
  const ctx = () => t.ctxAs(token);

  it('lists the dated to-dos of the next two weeks, soonest first, inside the window', async () => {
    const { structured, text } = await invokeTool(getUpcomingDeadlines, {}, ctx());
    expect(structured.events.length).toBeGreaterThan(0);
    const due = structured.events.map((e) => Date.parse(e.due!));
    expect(due).toEqual([...due].sort((a, b) => a - b));
    for (const t of due) {
      expect(t).toBeGreaterThanOrEqual(Date.parse(structured.from));
      expect(t).toBeLessThanOrEqual(Date.parse(structured.to));
    }
    expect(Date.parse(structured.to) - Date.parse(structured.from)).toBe(14 * DAY_MS);
    expect(text).toMatch(/^Due in the next 14 days: \d+ events?/);
  });

  it("gives each event its course and activity ids, and the teacher's grading to-do", async () => {
    const { structured } = await invokeTool(getUpcomingDeadlines, { daysAhead: 30 }, ctx());
    const lab = structured.events.find((e) => e.module === 'assign' && e.instanceId === SEED.assignmentId)!;
    expect(lab).toMatchObject({ courseId: SEED.courseId, courseName: 'Biology 101: Cells and Life', action: 'Grade', actionable: true });
    expect(lab.itemCount).toBeGreaterThan(0);
  });

  it("gives a teacher the due dates of their courses' activities, which ask nothing of them", async () => {
    const { structured } = await invokeTool(getUpcomingDeadlines, { daysAhead: 30, limit: 50 }, ctx());
    const essay = structured.events.find((e) => e.module === 'assign' && e.instanceId === SEED.upcomingAssignmentId && e.eventType === 'due')!;
    expect(essay).toMatchObject({ courseId: SEED.courseId, courseName: 'Biology 101: Cells and Life', action: null, itemCount: null });
    expect(Date.parse(essay.due!)).toBeGreaterThan(Date.now());
  });

  it('lists every date once', async () => {
    const { structured } = await invokeTool(getUpcomingDeadlines, { daysAhead: 60, limit: 50 }, ctx());
    const keys = structured.events.map((e) => `${e.module}:${e.instanceId}:${e.eventType}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(structured.events.map((e) => e.id)).size).toBe(structured.events.length);
  });

  it('keeps one course with courseId', async () => {
    const { structured } = await invokeTool(getUpcomingDeadlines, { daysAhead: 60, courseId: SEED.courseId }, ctx());
    expect(structured.events.length).toBeGreaterThan(0);
    expect(structured.events.every((e) => e.courseId === SEED.courseId)).toBe(true);
  });

  it('stops at the limit and says more may exist', async () => {
    const all = (await invokeTool(getUpcomingDeadlines, { daysAhead: 60, limit: 50 }, ctx())).structured;
    expect(all.events.length).toBeGreaterThan(2);
    const two = (await invokeTool(getUpcomingDeadlines, { daysAhead: 60, limit: 2 }, ctx())).structured;
    expect(two.events.map((e) => e.id)).toEqual(all.events.slice(0, 2).map((e) => e.id));
    expect(two.mayHaveMore).toBe(true);
  });
});

describe('get_upcoming_deadlines for other accounts', () => {
  it('refuses a teacher a course they do not teach, as Moodle does', async () => {
    const call = invokeTool(getUpcomingDeadlines, { courseId: SEED.hiddenCourseId }, t.ctxAs(TEACHER_TOKEN));
    await expect(call).rejects.toThrow(MoodleError);
    await expect(call).rejects.toMatchObject({ kind: 'permission_denied', moodleErrorCode: 'nopermissions' });
    await expect(call).rejects.toThrow(`No access rights in course ${SEED.hiddenCourseId}`);
  });

  it("gives a student their own to-dos with the student's actions", async () => {
    const { structured } = await invokeTool(getUpcomingDeadlines, { daysAhead: 30, limit: 50 }, t.ctxAs(STUDENT_TOKEN));
    expect(structured.events.length).toBeGreaterThan(0);
    expect(structured.events.some((e) => e.action === 'Grade')).toBe(false);
    const todo = structured.events.filter((e) => e.action !== null);
    expect(todo.length).toBeGreaterThan(0);
    expect(todo.every((e) => e.action === 'Add submission' || e.action === 'Attempt quiz now')).toBe(true);
  });
});
