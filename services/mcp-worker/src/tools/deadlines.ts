import { z } from 'zod';
import { ENROLLED_COURSES_FUNCTIONS, enrolledCourses } from './account.js';
import { moodleId } from './args.js';
import { flag, formatWhen, isoFromUnix, unixNow } from './convert.js';
import { throwIfCourseRefused, type RawWarning } from './courseAccess.js';
import { defineTool } from './define.js';
import { renderList } from './render.js';

/** The fields of an action event (core_calendar_get_action_events_by_timesort) this tool reads. */
interface RawActionEvent {
  id: number;
  name?: string;
  modulename?: string;
  instance?: number;
  eventtype?: string;
  timestart?: number;
  timesort?: number;
  course?: { id: number; fullname?: string; shortname?: string };
  action?: { name?: string; url?: string; itemcount?: number; actionable?: boolean | number };
  url?: string;
}

/** The fields of an event of core_calendar_get_calendar_events (calendar/externallib.php, get_calendar_events_returns) this tool reads. */
interface RawCalendarEvent {
  id: number;
  name?: string;
  courseid?: number;
  modulename?: string | null;
  instance?: number;
  eventtype?: string;
  timestart?: number;
}
interface RawCalendarAnswer {
  events?: RawCalendarEvent[];
  warnings?: RawWarning[];
}

const DAY_SECONDS = 86_400;
/**
 * The window starts at the current minute, not second, so identical asks
 * within a minute are the same Moodle call (and the shared cache can answer).
 */
const WINDOW_GRANULARITY_SECONDS = 60;

const eventSchema = z.object({
  id: z.number().int().describe('Calendar event id.'),
  name: z.string(),
  due: z.string().nullable().describe('When it is due (ISO 8601).'),
  courseId: z.number().int().nullable(),
  courseName: z.string().nullable().describe('Null when Moodle does not name the course to this account.'),
  module: z.string().nullable().describe('Activity type, e.g. assign or quiz.'),
  instanceId: z.number().int().nullable().describe('Activity id (assignmentId, quizId, ...).'),
  eventType: z.string().nullable().describe('Moodle event type, e.g. "due", "close", "gradingdue".'),
  action: z
    .string()
    .nullable()
    .describe('What the account has to do, e.g. "Add submission" or "Grade" (for teachers: submissions to grade); null for a date that asks nothing of it.'),
  itemCount: z.number().int().nullable().describe('Items the action concerns, e.g. submissions waiting to be graded.'),
  actionable: z.boolean().nullable().describe('Whether the action can be done now.'),
  url: z.string().nullable().describe('Where to act; null for dates without an action.'),
});

type DeadlineEvent = z.infer<typeof eventSchema>;

/**
 * One activity date appears in both answers (the same row of Moodle's event
 * table, so the same id). A student's action event is the date that applies
 * to them (a user or group override) while the course calendar holds the
 * activity's own date, with another id: one event per activity and event
 * type is kept, the action event first.
 */
function eventKey(e: DeadlineEvent): string {
  return e.module && e.instanceId ? `${e.module}:${e.instanceId}:${e.eventType}` : `id:${e.id}`;
}

export const getUpcomingDeadlines = defineTool({
  name: 'get_upcoming_deadlines',
  title: 'Upcoming deadlines',
  description:
    "Returns the upcoming dates of the server's account's courses, soonest first: assignment due dates, quiz openings and closings, " +
    'grading due dates and other activity and course dates from the Moodle calendar, each with what the account has to do, if anything: ' +
    'for a student "Add submission" or "Attempt quiz now", for a teacher "Grade" with the number of submissions to grade. ' +
    'Use it for "what is due this week" or "what do I still have to grade". ' +
    'daysAhead sets the window (default 14 days); courseId (optional, from get_courses) keeps one course only.',
  inputSchema: z.object({
    daysAhead: z.number().int().min(1).max(365).default(14).describe('How many days ahead to look (1-365, default 14).'),
    limit: z.number().int().min(1).max(50).default(20).describe('At most this many events (1-50, default 20).'),
    courseId: moodleId('Only events of this course (id from get_courses). Omit for all courses of the account.').optional(),
  }),
  outputSchema: z.object({
    from: z.string().describe('Start of the window (ISO 8601).'),
    to: z.string().describe('End of the window (ISO 8601).'),
    events: z.array(eventSchema),
    mayHaveMore: z.boolean().describe('True when more events than `limit` fall in the window, so later ones are left out.'),
  }),
  write: false,
  wsfunctions: [...ENROLLED_COURSES_FUNCTIONS, 'core_calendar_get_calendar_events', 'core_calendar_get_action_events_by_timesort'],
  async run({ daysAhead, limit, courseId }, ctx) {
    const from = Math.floor(unixNow() / WINDOW_GRANULARITY_SECONDS) * WINDOW_GRANULARITY_SECONDS;
    const to = from + daysAhead * DAY_SECONDS;
    const courses = await enrolledCourses(ctx);
    const courseNames = new Map(courses.map((c) => [c.id, c.fullname ?? c.shortname ?? null]));
    const courseIds = courseId !== undefined ? [courseId] : courses.map((c) => c.id);
    // The action events are only what needs doing (for a teacher: grading), so the
    // dates themselves come from the calendars of the courses.
    const noEvents: RawCalendarAnswer = { events: [] };
    const [calendar, actions] = await Promise.all([
      courseIds.length === 0
        ? noEvents
        : ctx.moodle.call<RawCalendarAnswer>(
            'core_calendar_get_calendar_events',
            { events: { courseids: courseIds }, options: { userevents: false, siteevents: false, timestart: from, timeend: to } },
            { signal: ctx.signal },
          ),
      ctx.moodle.call<{ events?: RawActionEvent[] }>(
        'core_calendar_get_action_events_by_timesort',
        { timesortfrom: from, timesortto: to, limitnum: limit, limittononsuspendedevents: true },
        { signal: ctx.signal },
      ),
    ]);
    if (courseId !== undefined) throwIfCourseRefused('core_calendar_get_calendar_events', calendar.warnings, courseId);
    const wanted = new Set(courseIds);
    const actionRaw = actions.events ?? [];
    const merged = new Map<string, DeadlineEvent>();
    const seenIds = new Set<number>();
    const add = (e: DeadlineEvent): void => {
      if (seenIds.has(e.id) || merged.has(eventKey(e))) return;
      seenIds.add(e.id);
      merged.set(eventKey(e), e);
    };
    for (const e of actionRaw) {
      if (courseId === undefined || e.course?.id === courseId) add(fromActionEvent(e));
    }
    for (const e of calendar.events ?? []) {
      const event = fromCalendarEvent(e, courseNames);
      const due = e.timestart ?? 0;
      if (event.courseId !== null && wanted.has(event.courseId) && due >= from && due <= to) add(event);
    }
    // ISO 8601 UTC strings of one format sort as the times do.
    const sorted = [...merged.values()].sort((a, b) => compareStrings(a.due ?? '', b.due ?? '') || a.id - b.id);
    const events = sorted.slice(0, limit);
    // Action events past Moodle's limitnum were not sent; they are later than every one that was.
    const mayHaveMore = sorted.length > limit || actionRaw.length >= limit;
    const structured = { from: isoFromUnix(from)!, to: isoFromUnix(to)!, events, mayHaveMore };
    const text = [
      `Due in the next ${daysAhead} days${courseId ? ` in course ${courseId}` : ''}: ${events.length} event${events.length === 1 ? '' : 's'}` +
        (structured.mayHaveMore ? ` (limit ${limit} reached; there may be more)` : ''),
      renderList(
        events,
        (e) =>
          `- ${formatWhen(e.due)}: ${e.name}${e.courseName ? ` [${e.courseName}]` : ''}` +
          (e.action ? ` → ${e.action}${e.itemCount ? ` (${e.itemCount})` : ''}` : ''),
        'Nothing due.',
      ),
    ].join('\n');
    return { text, structured };
  },
});

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function fromActionEvent(e: RawActionEvent): DeadlineEvent {
  return {
    id: e.id,
    name: e.name ?? '',
    due: isoFromUnix(e.timesort ?? e.timestart),
    courseId: e.course?.id ?? null,
    courseName: e.course?.fullname ?? e.course?.shortname ?? null,
    module: e.modulename || null,
    instanceId: e.instance || null,
    eventType: e.eventtype ?? null,
    action: e.action?.name ?? null,
    itemCount: e.action?.itemcount ?? null,
    actionable: flag(e.action?.actionable),
    url: e.action?.url ?? e.url ?? null,
  };
}

/** A date of a course calendar: nothing to do for the account (else it would be an action event too). */
function fromCalendarEvent(e: RawCalendarEvent, courseNames: ReadonlyMap<number, string | null>): DeadlineEvent {
  return {
    id: e.id,
    name: e.name ?? '',
    due: isoFromUnix(e.timestart),
    courseId: e.courseid || null,
    courseName: (e.courseid && courseNames.get(e.courseid)) || null,
    module: e.modulename || null,
    instanceId: e.instance || null,
    eventType: e.eventtype ?? null,
    action: null,
    itemCount: null,
    actionable: null,
    url: null,
  };
}
