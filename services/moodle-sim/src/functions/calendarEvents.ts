/**
 * core_calendar_get_calendar_events (calendar/externallib.php): the events of
 * courses from the sim's event rows (data/events.ts), by time window or by id.
 * The rows are those core_calendar_get_action_events_by_timesort reads, so an
 * activity date has the same event id in both answers.
 */
import { MoodleException } from '../errors.js';
import { defaultValue, multiple, params, single, value } from '../params/schema.js';
import type { CalendarEvent } from '../data/events.js';
import { read, type CallContext, type Warning, type WsFunction } from './registry.js';

/** The site course: SITEID, whose events are the site events. */
const SITE_COURSE_ID = 1;

/**
 * Why validate_context refuses `courseid` (context_course::instance with
 * MUST_EXIST, then require_login), as the exception's getMessage(); null when
 * the caller may enter the course.
 */
function courseRefusal(ctx: CallContext, courseid: number): string | null {
  try {
    ctx.store.mustCourse(courseid);
    ctx.access.validateCourse(courseid);
    return null;
  } catch (err) {
    if (err instanceof MoodleException) return err.message;
    throw err;
  }
}

/** cm_info::uservisible of the event's activity for the caller: mod/<name>:view, and a hidden activity needs viewhiddenactivities. */
function activityVisible(ctx: CallContext, e: CalendarEvent): boolean {
  if (!ctx.access.has(`mod/${e.modulename}:view`, e.courseid)) return false;
  return e.visible === 1 || ctx.access.has('moodle/course:viewhiddenactivities', e.courseid);
}

/** An event as get_calendar_events_returns describes it (the mdl_event row, key order of the description). */
function calendarEventEntry(e: CalendarEvent): Record<string, unknown> {
  return {
    id: e.id,
    name: e.name,
    description: e.description,
    format: e.format,
    courseid: e.courseid,
    categoryid: e.categoryid,
    groupid: e.groupid,
    userid: e.userid,
    repeatid: e.repeatid,
    modulename: e.modulename,
    instance: e.instance,
    eventtype: e.eventtype,
    timestart: e.timestart,
    timeduration: e.timeduration,
    visible: e.visible,
    uuid: e.uuid,
    sequence: e.sequence,
    timemodified: e.timemodified,
    subscriptionid: e.subscriptionid,
  };
}

/**
 * core_calendar_get_calendar_events (core_calendar_external::get_calendar_events).
 * A caller with moodle/calendar:manageentries in the system context (here: a
 * site admin) gets the events of every requested course unchecked. Anyone else
 * gets only courses that pass validate_context; each other course id becomes a
 * warning whose message Moodle builds from the exception's message and its PHP
 * stack trace (getTraceAsString(), here the trace's last line "#0 {main}"), and
 * each group id a warning too (the sim has no groups). Module events are then
 * kept only when the caller can see the activity (cm_info::uservisible), which
 * also applies to events asked for by id: those come after the window's events,
 * without the time and visibility filters. The sim has no user, site, group or
 * category events, so userevents, siteevents and categoryids add nothing.
 */
export const getCalendarEvents: WsFunction = {
  name: 'core_calendar_get_calendar_events',
  params: params({
    events: single(
      {
        eventids: multiple(value('int'), 'default'),
        courseids: multiple(value('int'), 'default'),
        groupids: multiple(value('int'), 'default'),
        categoryids: multiple(value('int'), 'default'),
      },
      'default',
    ),
    options: single(
      {
        userevents: defaultValue('bool', true),
        siteevents: defaultValue('bool', true),
        timestart: defaultValue('int', 0),
        timeend: defaultValue('int', 0),
        ignorehidden: defaultValue('bool', true),
      },
      'default',
    ),
  }),
  handler(ctx, p) {
    const ev = read.obj(p, 'events');
    const opt = read.obj(p, 'options');
    const systemCap = ctx.access.isAdmin;
    const warnings: Warning[] = [];
    const courses = new Set<number>();
    for (const id of read.ints(ev, 'courseids')) {
      const refusal = systemCap ? null : courseRefusal(ctx, id);
      if (refusal === null) courses.add(id);
      else warnings.push({ item: 'course', itemid: id, warningcode: 'nopermissions', message: `No access rights in course context ${refusal}#0 {main}` });
    }
    if (!systemCap) {
      for (const id of read.ints(ev, 'groupids'))
        warnings.push({ item: String(id), warningcode: 'nopermissions', message: 'you do not have permissions to access this group' });
    }
    if (read.bool(opt, 'siteevents')) courses.add(SITE_COURSE_ID);
    const from = read.int(opt, 'timestart');
    // "We treat 0 and null as no end."
    const to = read.int(opt, 'timeend') || Number.MAX_SAFE_INTEGER;
    const ignoreHidden = read.bool(opt, 'ignorehidden');
    const inWindow = ctx.store.events
      .filter((e) => courses.has(e.courseid) && e.timestart >= from && e.timestart <= to && (!ignoreHidden || e.visible === 1))
      .sort((x, y) => x.timestart - y.timestart || x.id - y.id);
    const listed = new Set(inWindow.map((e) => e.id));
    const wanted = new Set(read.ints(ev, 'eventids'));
    const byId = ctx.store.events.filter((e) => wanted.has(e.id) && !listed.has(e.id));
    const events = [...inWindow, ...byId].filter((e) => systemCap || activityVisible(ctx, e)).map(calendarEventEntry);
    return { events, warnings };
  },
};
