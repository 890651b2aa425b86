/**
 * core_calendar_get_calendar_events per kind of caller, over real HTTP, and
 * its agreement with core_calendar_get_action_events_by_timesort (both read
 * the same event rows).
 */
import { DEMO_TEACHERS } from '../auth/demoTeachers';
import { DEMO_TOKEN, STUDENT_TOKEN } from '../auth/tokens';
import { SEED } from '../seedIds';
import type { SimHandle } from '../server';
import type { WsParam } from '../testing/call';
import { caller, startTestSim, TEST_NOW_SEC } from '../testing/fixture';

let sim: SimHandle;
beforeAll(async () => {
  sim = await startTestSim();
});
afterAll(() => sim.stop());

const as = (name: string) => caller(() => sim, DEMO_TEACHERS.find((t) => t.name === name)!.token);
const tessa = as('tessa');
const marcus = as('marcus');
const student = caller(() => sim, STUDENT_TOKEN);
const admin = caller(() => sim, DEMO_TOKEN);

interface CalEvent {
  id: number;
  name: string;
  courseid: number;
  modulename: string;
  instance: number;
  eventtype: string;
  timestart: number;
  visible: number;
}
interface Answer {
  events: CalEvent[];
  warnings: { item?: string; itemid?: number; warningcode: string; message: string }[];
}
const calendar = (who: typeof tessa, events: Record<string, WsParam>, options: Record<string, WsParam> = {}): Promise<Answer> =>
  who('core_calendar_get_calendar_events', { events, options: { userevents: 0, siteevents: 0, ...options } });
const actionEvents = async (who: typeof tessa): Promise<CalEvent[]> =>
  (await who('core_calendar_get_action_events_by_timesort', { timesortfrom: TEST_NOW_SEC - 60 * 86400, limitnum: 50 })).events;

/** get_calendar_events_returns, in order. */
const KEYS = [
  'id',
  'name',
  'description',
  'format',
  'courseid',
  'categoryid',
  'groupid',
  'userid',
  'repeatid',
  'modulename',
  'instance',
  'eventtype',
  'timestart',
  'timeduration',
  'visible',
  'uuid',
  'sequence',
  'timemodified',
  'subscriptionid',
];

describe('core_calendar_get_calendar_events', () => {
  it('gives an editing teacher the activity dates of their courses, soonest first, as mdl_event rows', async () => {
    const { events, warnings } = await calendar(tessa, { courseids: [SEED.courseId, SEED.otherCourseId] });
    expect(warnings).toEqual([]);
    expect(new Set(events.map((e) => e.courseid))).toEqual(new Set([SEED.courseId, SEED.otherCourseId]));
    const starts = events.map((e) => e.timestart);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(Object.keys(events[0]!)).toEqual(KEYS);
    const essayDue = events.find((e) => e.modulename === 'assign' && e.instance === SEED.upcomingAssignmentId && e.eventtype === 'due')!;
    expect(essayDue).toMatchObject({
      name: 'Essay: the origin of mitochondria is due',
      courseid: SEED.courseId,
      format: 1,
      categoryid: 0,
      groupid: 0,
      userid: 0,
      repeatid: 0,
      timeduration: 0,
      visible: 1,
      uuid: '',
      sequence: 1,
      subscriptionid: null,
    });
    expect(events.filter((e) => e.modulename === 'quiz' && e.instance === SEED.quizId).map((e) => [e.eventtype, e.name])).toEqual([
      ['open', 'Quiz 2: membranes and transport opens'],
      ['close', 'Quiz 2: membranes and transport closes'],
    ]);
  });

  it('uses the event ids of the action events for the same dates (teacher: gradingdue; student: due and close)', async () => {
    const key = (e: CalEvent) => `${e.modulename}:${e.instance}:${e.eventtype}`;
    for (const who of [tessa, student]) {
      const actions = await actionEvents(who);
      expect(actions.length).toBeGreaterThan(0);
      const { events } = await calendar(who, { courseids: [...new Set(actions.map((e) => (e as unknown as { course: { id: number } }).course.id))] });
      const byKey = new Map(events.map((e) => [key(e), e.id]));
      for (const a of actions) expect([key(a), byKey.get(key(a))]).toEqual([key(a), a.id]);
    }
  });

  it('keeps only events inside [timestart, timeend]; timeend 0 means no end', async () => {
    const from = TEST_NOW_SEC;
    const to = TEST_NOW_SEC + 5 * 86400;
    const { events } = await calendar(tessa, { courseids: [SEED.courseId] }, { timestart: from, timeend: to });
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.timestart >= from && e.timestart <= to)).toBe(true);
    const open = await calendar(tessa, { courseids: [SEED.courseId] }, { timestart: from, timeend: 0 });
    expect(open.events.length).toBeGreaterThan(events.length);
  });

  it('turns a course a non-editing teacher does not teach into a nopermissions warning', async () => {
    const { events, warnings } = await calendar(marcus, { courseids: [SEED.courseId, SEED.otherCourseId] });
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.courseid === SEED.courseId)).toBe(true);
    expect(warnings).toEqual([
      {
        item: 'course',
        itemid: SEED.otherCourseId,
        warningcode: 'nopermissions',
        message: expect.stringMatching(/^No access rights in course context Course or activity not accessible\./),
      },
    ]);
  });

  it('warns a student about a hidden course and an unknown course id', async () => {
    const { events, warnings } = await calendar(student, { courseids: [SEED.courseId, SEED.hiddenCourseId, SEED.missingId] });
    expect(events.every((e) => e.courseid === SEED.courseId)).toBe(true);
    expect(warnings.map((w) => [w.item, w.itemid, w.warningcode])).toEqual([
      ['course', SEED.hiddenCourseId, 'nopermissions'],
      ['course', SEED.missingId, 'nopermissions'],
    ]);
    expect(warnings[1]!.message).toMatch(/^No access rights in course context Can not find data record in database table course\./);
  });

  it('gives the admin any course unchecked: a hidden course, and nothing (no warning) for an unknown id', async () => {
    const { events, warnings } = await calendar(admin, { courseids: [SEED.hiddenCourseId, SEED.missingId] });
    expect(warnings).toEqual([]);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.courseid === SEED.hiddenCourseId)).toBe(true);
  });

  it('returns events asked for by id only when the caller can see the activity, after the window, without warnings', async () => {
    const lit = (await calendar(admin, { courseids: [6] })).events[0]!;
    const bio = (await calendar(tessa, { courseids: [SEED.courseId] })).events[0]!;
    const r = await calendar(tessa, { eventids: [lit.id, bio.id] });
    expect(r).toEqual({ events: [expect.objectContaining({ id: bio.id })], warnings: [] });
    expect((await calendar(admin, { eventids: [lit.id] })).events.map((e) => e.id)).toEqual([lit.id]);
  });

  it("warns a non-admin about each group id (the sim's users are in no group)", async () => {
    expect((await calendar(tessa, { groupids: [5] })).warnings).toEqual([
      { item: '5', warningcode: 'nopermissions', message: 'you do not have permissions to access this group' },
    ]);
    expect((await calendar(admin, { groupids: [5] })).warnings).toEqual([]);
  });

  it('has every option and structure default (no parameters at all)', async () => {
    expect(await tessa('core_calendar_get_calendar_events')).toEqual({ events: [], warnings: [] });
  });
});
