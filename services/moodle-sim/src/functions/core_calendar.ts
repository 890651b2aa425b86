/**
 * The calendar functions (calendar/externallib.php) over the sim's event rows
 * (data/events.ts): core_calendar_get_action_events_by_timesort, the events
 * that need something from the user, sorted by timesort (see collect() for who
 * gets which event), and core_calendar_get_calendar_events, the events of
 * courses, by time window or by id.
 */
import { MoodleException, invalidParameter } from '../errors.js';
import { defaultValue, multiple, params, single, value } from '../params/schema.js';
import type { CalendarEvent } from '../data/events.js';
import type { Course } from '../data/types.js';
import { userHasInCourse } from '../auth/access.js';
import { read, type CallContext, type Warning, type WsFunction } from './registry.js';

interface Action {
  name: string;
  url: string;
  itemcount: number;
  actionable: boolean;
  showitemcount: boolean;
}

interface Draft {
  event: CalendarEvent;
  activityname: string;
  course: Course;
  action: Action;
}

/**
 * The action events of `userid`, as the calendar's action-event vault keeps
 * them after each module's callbacks (mod/assign/lib.php and mod/quiz/lib.php):
 * - assign "due": mod_assign_core_calendar_provide_event_action gives no action
 *   (the event is dropped) once the user has submitted, and to anyone who is not
 *   a participant (no mod/assign:submit in the role definitions, as
 *   get_enrolled_sql checks it) — that filters out teachers and site admins;
 * - assign "gradingdue": mod_assign_core_calendar_is_event_visible shows it
 *   only to users who can grade (mod/assign:grade), with the number of
 *   submissions that need grading as itemcount;
 * - quiz "close" (the open event is a standard event when the quiz also has a
 *   close date, and every seeded quiz has one): dropped for non-participants
 *   (no mod/quiz:attempt), once the quiz has closed, and once the user has any
 *   attempt.
 */
function collect(ctx: CallContext, userid: number): Draft[] {
  const now = ctx.store.clock();
  const drafts: Draft[] = [];
  const can = (capability: string, courseid: number): boolean => ctx.access.userHas(userid, capability, courseid);
  const participant = (capability: string, courseid: number): boolean => userHasInCourse(ctx.store, userid, capability, courseid);
  const courses = ctx.store.coursesOfUser(userid).filter((c) => ctx.access.canEnter(c.id));
  for (const course of courses) {
    for (const event of ctx.store.events.filter((e) => e.courseid === course.id)) {
      if (event.modulename === 'assign') {
        const a = ctx.store.mustAssign(event.instance);
        const base = { event, activityname: a.name, course };
        if (event.eventtype === 'due' && participant('mod/assign:submit', course.id) && ctx.store.latestSubmission(a.id, userid)?.status !== 'submitted') {
          drafts.push({ ...base, action: { name: 'Add submission', url: `${ctx.wwwroot}/mod/assign/view.php?id=${a.cmid}&action=editsubmission`, itemcount: 1, actionable: now >= a.allowsubmissionsfromdate && now <= a.cutoffdate, showitemcount: false } });
        }
        if (event.eventtype === 'gradingdue' && can('mod/assign:grade', course.id)) {
          const actionable = now >= a.allowsubmissionsfromdate;
          drafts.push({ ...base, action: { name: 'Grade', url: `${ctx.wwwroot}/mod/assign/view.php?id=${a.cmid}&action=grader`, itemcount: actionable ? ctx.store.countNeedGrading(a.id) : 0, actionable, showitemcount: true } });
        }
      } else if (event.eventtype === 'close' && participant('mod/quiz:attempt', course.id)) {
        const q = ctx.store.mustQuiz(event.instance);
        if (q.timeclose <= now) continue;
        if (ctx.store.data.attempts.some((t) => t.quiz === q.id && t.userid === userid)) continue;
        drafts.push({ event, activityname: q.name, course, action: { name: 'Attempt quiz now', url: `${ctx.wwwroot}/mod/quiz/view.php?id=${q.cmid}`, itemcount: 1, actionable: !(q.timeopen > now), showitemcount: false } });
      }
    }
  }
  return drafts.sort((x, y) => x.event.timestart - y.event.timestart || x.event.id - y.event.id);
}

function eventEntry(ctx: CallContext, d: Draft, userid: number): Record<string, unknown> {
  const now = ctx.store.clock();
  const e = d.event;
  const modplural = e.modulename === 'assign' ? 'Assignment' : 'Quiz';
  const midnight = e.timestart - (e.timestart % 86400);
  return {
    id: e.id,
    name: e.name,
    description: e.description,
    descriptionformat: 1,
    location: '',
    categoryid: null,
    groupid: null,
    userid,
    repeatid: null,
    eventcount: null,
    component: `mod_${e.modulename}`,
    modulename: e.modulename,
    activityname: d.activityname,
    activitystr: e.eventtype === 'gradingdue' ? 'Grading due' : e.eventtype === 'due' ? 'Due' : 'Closes',
    instance: e.instance,
    eventtype: e.eventtype,
    timestart: e.timestart,
    timeduration: e.timeduration,
    timesort: e.timestart,
    timeusermidnight: midnight,
    visible: e.visible,
    timemodified: e.timemodified,
    overdue: e.timestart < now,
    icon: { key: 'monologo', component: e.modulename, alttext: modplural, iconurl: `${ctx.wwwroot}/theme/image.php/boost/${e.modulename}/1/monologo`, iconclass: '' },
    course: {
      id: d.course.id,
      fullname: d.course.fullname,
      shortname: d.course.shortname,
      idnumber: d.course.idnumber,
      summary: d.course.summary,
      summaryformat: 1,
      startdate: d.course.startdate,
      enddate: d.course.enddate,
      visible: d.course.visible === 1,
      showactivitydates: true,
      showcompletionconditions: true,
      fullnamedisplay: d.course.fullname,
      viewurl: `${ctx.wwwroot}/course/view.php?id=${d.course.id}`,
      courseimage: '',
      progress: 0,
      hasprogress: false,
      isfavourite: false,
      hidden: false,
      showshortname: false,
      coursecategory: ctx.store.data.categories.find((c) => c.id === d.course.category)?.name ?? '',
    },
    subscription: { displayeventsource: false },
    canedit: false,
    candelete: false,
    deleteurl: `${ctx.wwwroot}/calendar/delete.php?id=${e.id}&course=${d.course.id}`,
    editurl: `${ctx.wwwroot}/course/mod.php?update=${e.cmid}&return=1`,
    viewurl: `${ctx.wwwroot}/calendar/view.php?view=day&course=${d.course.id}&time=${e.timestart}#event_${e.id}`,
    formattedtime: new Date(e.timestart * 1000).toUTCString(),
    formattedlocation: '',
    isactionevent: true,
    iscourseevent: false,
    iscategoryevent: false,
    groupname: null,
    normalisedeventtype: 'course',
    normalisedeventtypetext: 'Course event',
    action: d.action,
    purpose: 'assessment',
    url: `${ctx.wwwroot}/mod/${e.modulename}/view.php?id=${e.cmid}`,
  };
}

export const getActionEventsByTimesort: WsFunction = {
  name: 'core_calendar_get_action_events_by_timesort',
  params: params({
    timesortfrom: defaultValue('int', 0),
    timesortto: defaultValue('int', null),
    aftereventid: defaultValue('int', 0),
    limitnum: defaultValue('int', 20),
    limittononsuspendedevents: defaultValue('bool', false),
    userid: defaultValue('int', null),
    searchvalue: defaultValue('raw', null),
  }),
  handler(ctx, p) {
    const limit = read.int(p, 'limitnum');
    if (limit < 1 || limit > 50) throw invalidParameter('Limit must be between 1 and 50 (inclusive)');
    const requestedUser = read.nullableInt(p, 'userid');
    const userid = requestedUser ?? ctx.access.userid;
    if (userid !== ctx.access.userid) {
      ctx.store.mustUser(userid);
      if (!ctx.access.isAdmin) ctx.access.require('moodle/course:update', 1);
    }
    const from = read.int(p, 'timesortfrom');
    const to = read.nullableInt(p, 'timesortto');
    const search = (p.searchvalue as string | null)?.toLowerCase() ?? '';
    let drafts = collect(ctx, userid).filter((d) => d.event.timestart >= from && (to === null || d.event.timestart <= to));
    if (search) drafts = drafts.filter((d) => d.event.name.toLowerCase().includes(search) || d.activityname.toLowerCase().includes(search));
    const after = read.int(p, 'aftereventid');
    if (after) {
      const i = drafts.findIndex((d) => d.event.id === after);
      if (i >= 0) drafts = drafts.slice(i + 1);
    }
    const events = drafts.slice(0, limit).map((d) => eventEntry(ctx, d, userid));
    return { events, firstid: (events[0]?.id as number | undefined) ?? null, lastid: (events.at(-1)?.id as number | undefined) ?? null };
  },
};

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
      for (const id of read.ints(ev, 'groupids')) warnings.push({ item: String(id), warningcode: 'nopermissions', message: 'you do not have permissions to access this group' });
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
