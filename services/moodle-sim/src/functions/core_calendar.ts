/**
 * core_calendar_get_action_events_by_timesort (calendar/externallib.php): the
 * events of the sim's event rows (data/events.ts) that need something from
 * the user, sorted by timesort (see collect() for who gets which event).
 */
import { invalidParameter } from '../errors.js';
import { defaultValue, params } from '../params/schema.js';
import type { CalendarEvent } from '../data/events.js';
import type { Course } from '../data/types.js';
import { userHasInCourse } from '../auth/access.js';
import { read, type CallContext, type WsFunction } from './registry.js';

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
          drafts.push({
            ...base,
            action: {
              name: 'Add submission',
              url: `${ctx.wwwroot}/mod/assign/view.php?id=${a.cmid}&action=editsubmission`,
              itemcount: 1,
              actionable: now >= a.allowsubmissionsfromdate && now <= a.cutoffdate,
              showitemcount: false,
            },
          });
        }
        if (event.eventtype === 'gradingdue' && can('mod/assign:grade', course.id)) {
          const actionable = now >= a.allowsubmissionsfromdate;
          drafts.push({
            ...base,
            action: {
              name: 'Grade',
              url: `${ctx.wwwroot}/mod/assign/view.php?id=${a.cmid}&action=grader`,
              itemcount: actionable ? ctx.store.countNeedGrading(a.id) : 0,
              actionable,
              showitemcount: true,
            },
          });
        }
      } else if (event.eventtype === 'close' && participant('mod/quiz:attempt', course.id)) {
        const q = ctx.store.mustQuiz(event.instance);
        if (q.timeclose <= now) continue;
        if (ctx.store.data.attempts.some((t) => t.quiz === q.id && t.userid === userid)) continue;
        drafts.push({
          event,
          activityname: q.name,
          course,
          action: {
            name: 'Attempt quiz now',
            url: `${ctx.wwwroot}/mod/quiz/view.php?id=${q.cmid}`,
            itemcount: 1,
            actionable: !(q.timeopen > now),
            showitemcount: false,
          },
        });
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
    icon: {
      key: 'monologo',
      component: e.modulename,
      alttext: modplural,
      iconurl: `${ctx.wwwroot}/theme/image.php/boost/${e.modulename}/1/monologo`,
      iconclass: '',
    },
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
