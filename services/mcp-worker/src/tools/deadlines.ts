import { z } from 'zod';
import { moodleId } from './args.js';
import { flag, formatWhen, isoFromUnix, unixNow } from './convert.js';
import { defineTool } from './define.js';
import { renderList } from './render.js';

/** The fields of a calendar event (core_calendar_get_action_events_by_timesort) this tool reads. */
interface RawEvent {
  id: number;
  name?: string;
  modulename?: string;
  instance?: number;
  eventtype?: string;
  timestart?: number;
  timesort?: number;
  overdue?: boolean;
  course?: { id: number; fullname?: string; shortname?: string };
  action?: { name?: string; url?: string; itemcount?: number; actionable?: boolean | number };
  url?: string;
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
  courseName: z.string().nullable(),
  module: z.string().nullable().describe('Activity type, e.g. assign or quiz.'),
  instanceId: z.number().int().nullable().describe('Activity id (assignmentId, quizId, ...).'),
  eventType: z.string().nullable().describe('Moodle event type, e.g. "due", "close", "gradingdue".'),
  action: z.string().nullable().describe('What to do, e.g. "Add submission" or "Grade" (for teachers: submissions to grade).'),
  itemCount: z.number().int().nullable().describe('Items the action concerns, e.g. submissions waiting to be graded.'),
  actionable: z.boolean().nullable().describe('Whether the action can be done now.'),
  url: z.string().nullable(),
});

export const getUpcomingDeadlines = defineTool({
  name: 'get_upcoming_deadlines',
  title: 'Upcoming deadlines',
  description:
    "Returns the upcoming dated to-dos from the Moodle calendar of the server's account across all its courses, soonest first: " +
    'assignment due dates, quiz closings and, for teachers, grading due dates with the number of submissions to grade. ' +
    'Use it for "what is due this week" or "what do I still have to grade". ' +
    'daysAhead sets the window (default 14 days); courseId (optional, from get_courses) keeps one course only.',
  inputSchema: z.object({
    daysAhead: z.number().int().min(1).max(365).default(14).describe('How many days ahead to look (1-365, default 14).'),
    limit: z.number().int().min(1).max(50).default(20).describe('At most this many events (1-50, default 20).'),
    courseId: moodleId('Only events of this course (id from get_courses). Omit for all courses.').optional(),
  }),
  outputSchema: z.object({
    from: z.string().describe('Start of the window (ISO 8601).'),
    to: z.string().describe('End of the window (ISO 8601).'),
    events: z.array(eventSchema),
    mayHaveMore: z.boolean().describe('True when Moodle returned `limit` events, so later ones may be left out.'),
  }),
  write: false,
  wsfunctions: ['core_calendar_get_action_events_by_timesort'],
  async run({ daysAhead, limit, courseId }, ctx) {
    const from = Math.floor(unixNow() / WINDOW_GRANULARITY_SECONDS) * WINDOW_GRANULARITY_SECONDS;
    const to = from + daysAhead * DAY_SECONDS;
    const res = await ctx.moodle.call<{ events?: RawEvent[] }>(
      'core_calendar_get_action_events_by_timesort',
      { timesortfrom: from, timesortto: to, limitnum: limit, limittononsuspendedevents: true },
      { signal: ctx.signal },
    );
    const raw = res.events ?? [];
    const events = raw
      .filter((e) => courseId === undefined || e.course?.id === courseId)
      .map((e) => ({
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
      }));
    const structured = { from: isoFromUnix(from)!, to: isoFromUnix(to)!, events, mayHaveMore: raw.length >= limit };
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
