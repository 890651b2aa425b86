/**
 * core_calendar_get_action_events_by_timesort (calendar/externallib.php):
 * the events that need something from the user, sorted by timesort. Students
 * get assignment "due" events (until they submit) and quiz "close" events
 * (while they may still attempt); graders get assignment "gradingdue" events
 * with the number of submissions that need grading.
 */
import { invalidParameter } from '../errors.js';
import { defaultValue, params } from '../params/schema.js';
import type { Course } from '../data/types.js';
import { read, type CallContext, type WsFunction } from './registry.js';

interface Action {
  name: string;
  url: string;
  itemcount: number;
  actionable: boolean;
  showitemcount: boolean;
}

interface Draft {
  id: number;
  name: string;
  modulename: 'assign' | 'quiz';
  activityname: string;
  instance: number;
  cmid: number;
  eventtype: string;
  course: Course;
  timestart: number;
  action: Action;
}

function collect(ctx: CallContext, userid: number): Draft[] {
  const now = ctx.store.clock();
  const drafts: Draft[] = [];
  const courses = ctx.store.coursesOfUser(userid).filter((c) => ctx.access.canEnter(c.id));
  for (const course of courses) {
    const role = ctx.store.enrolment(userid, course.id)?.role;
    for (const a of ctx.store.data.assigns.filter((x) => x.course === course.id)) {
      const base = { modulename: 'assign' as const, activityname: a.name, instance: a.id, cmid: a.cmid, course };
      if (role === 'student' && ctx.store.latestSubmission(a.id, userid)?.status !== 'submitted') {
        drafts.push({ ...base, id: a.id * 10 + 1, name: `${a.name} is due`, eventtype: 'due', timestart: a.duedate, action: { name: 'Add submission', url: `${ctx.wwwroot}/mod/assign/view.php?id=${a.cmid}&action=editsubmission`, itemcount: 1, actionable: now >= a.allowsubmissionsfromdate && now <= a.cutoffdate, showitemcount: false } });
      }
      if (role !== 'student' && ctx.access.has('mod/assign:grade', course.id)) {
        drafts.push({ ...base, id: a.id * 10 + 2, name: `${a.name} is due to be graded`, eventtype: 'gradingdue', timestart: a.gradingduedate, action: { name: 'Grade', url: `${ctx.wwwroot}/mod/assign/view.php?id=${a.cmid}&action=grader`, itemcount: ctx.store.countNeedGrading(a.id), actionable: now >= a.allowsubmissionsfromdate, showitemcount: true } });
      }
    }
    if (role !== 'student') continue;
    for (const q of ctx.store.data.quizzes.filter((x) => x.course === course.id)) {
      const finished = ctx.store.data.attempts.filter((t) => t.quiz === q.id && t.userid === userid && t.state === 'finished').length;
      if (q.attempts > 0 && finished >= q.attempts) continue;
      drafts.push({ id: 5000 + q.id * 10 + 1, name: `${q.name} closes`, modulename: 'quiz', activityname: q.name, instance: q.id, cmid: q.cmid, eventtype: 'close', course, timestart: q.timeclose, action: { name: 'Attempt quiz now', url: `${ctx.wwwroot}/mod/quiz/view.php?id=${q.cmid}`, itemcount: 1, actionable: now >= q.timeopen && now <= q.timeclose, showitemcount: false } });
    }
  }
  return drafts.sort((x, y) => x.timestart - y.timestart || x.id - y.id);
}

function eventEntry(ctx: CallContext, d: Draft, userid: number): Record<string, unknown> {
  const now = ctx.store.clock();
  const modplural = d.modulename === 'assign' ? 'Assignment' : 'Quiz';
  const midnight = d.timestart - (d.timestart % 86400);
  return {
    id: d.id,
    name: d.name,
    description: '',
    descriptionformat: 1,
    location: '',
    categoryid: null,
    groupid: null,
    userid,
    repeatid: null,
    eventcount: null,
    component: `mod_${d.modulename}`,
    modulename: d.modulename,
    activityname: d.activityname,
    activitystr: d.eventtype === 'gradingdue' ? 'Grading due' : d.eventtype === 'due' ? 'Due' : 'Closes',
    instance: d.instance,
    eventtype: d.eventtype,
    timestart: d.timestart,
    timeduration: 0,
    timesort: d.timestart,
    timeusermidnight: midnight,
    visible: 1,
    timemodified: d.course.timemodified,
    overdue: d.timestart < now,
    icon: { key: 'monologo', component: d.modulename, alttext: modplural, iconurl: `${ctx.wwwroot}/theme/image.php/boost/${d.modulename}/1/monologo`, iconclass: '' },
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
    deleteurl: `${ctx.wwwroot}/calendar/delete.php?id=${d.id}&course=${d.course.id}`,
    editurl: `${ctx.wwwroot}/course/mod.php?update=${d.cmid}&return=1`,
    viewurl: `${ctx.wwwroot}/calendar/view.php?view=day&course=${d.course.id}&time=${d.timestart}#event_${d.id}`,
    formattedtime: new Date(d.timestart * 1000).toUTCString(),
    formattedlocation: '',
    isactionevent: true,
    iscourseevent: false,
    iscategoryevent: false,
    groupname: null,
    normalisedeventtype: 'course',
    normalisedeventtypetext: 'Course event',
    action: d.action,
    purpose: 'assessment',
    url: `${ctx.wwwroot}/mod/${d.modulename}/view.php?id=${d.cmid}`,
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
    let drafts = collect(ctx, userid).filter((d) => d.timestart >= from && (to === null || d.timestart <= to));
    if (search) drafts = drafts.filter((d) => d.name.toLowerCase().includes(search) || d.activityname.toLowerCase().includes(search));
    const after = read.int(p, 'aftereventid');
    if (after) {
      const i = drafts.findIndex((d) => d.id === after);
      if (i >= 0) drafts = drafts.slice(i + 1);
    }
    const events = drafts.slice(0, limit).map((d) => eventEntry(ctx, d, userid));
    return { events, firstid: (events[0]?.id as number | undefined) ?? null, lastid: (events.at(-1)?.id as number | undefined) ?? null };
  },
};
