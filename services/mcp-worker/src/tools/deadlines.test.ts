import { SEED } from '@moodle-mcp/moodle-sim';
import { getUpcomingDeadlines } from './deadlines.js';
import { invokeTool } from './invoke.js';
import { useSimMoodle } from './simMoodle.js';

const t = useSimMoodle();
const { ctx } = t;
const DAY_MS = 86_400_000;

describe('get_upcoming_deadlines', () => {
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
