/**
 * The core_enrol functions (enrol/externallib.php):
 * core_enrol_get_enrolled_users, the participants of a course with their roles
 * and the other courses they share with the caller, and
 * core_enrol_get_users_courses, the courses a user is enrolled in.
 */
import { MoodleException, courseContextNotValid, invalidParameter } from '../errors.js';
import { userHasInCourse } from '../auth/access.js';
import { ROLES } from '../auth/capabilities.js';
import type { Course } from '../data/types.js';
import { defaultValue, multiple, params, single, value } from '../params/schema.js';
import { generatedCourseImage } from './courseInfo.js';
import { read, type CallContext, type WsFunction } from './registry.js';

const OPTION_NAMES = ['withcapability', 'groupid', 'onlyactive', 'onlysuspended', 'userfields', 'limitfrom', 'limitnumber', 'sortby', 'sortdirection'];

export const getEnrolledUsers: WsFunction = {
  name: 'core_enrol_get_enrolled_users',
  params: params({
    courseid: value('int'),
    options: multiple(single({ name: value('alphanumext'), value: value('raw') }), 'default'),
  }),
  handler(ctx, p) {
    const course = ctx.store.mustCourse(read.int(p, 'courseid'));
    const opts: Record<string, string> = {};
    for (const o of read.list(p, 'options')) {
      const name = String(o.name);
      if (!OPTION_NAMES.includes(name)) throw invalidParameter(`Invalid option name: ${name}`);
      opts[name] = String(o.value);
    }
    try {
      ctx.access.validateCourse(course.id);
    } catch (err) {
      if (!(err instanceof MoodleException)) throw err;
      throw courseContextNotValid(course.id, err);
    }
    ctx.access.require('moodle/course:viewparticipants', course.id);

    let enrolments = ctx.store.enrolmentsOfCourse(course.id);
    if (opts.withcapability) {
      // get_enrolled_sql($context, $withcapability): role definitions and course overrides decide, not site-admin status.
      const cap = opts.withcapability;
      enrolments = enrolments.filter((e) => userHasInCourse(ctx.store, e.userid, cap, course.id));
    }
    const sortby = opts.sortby ?? 'id';
    if (!['id', 'firstname', 'lastname', 'siteorder'].includes(sortby)) throw invalidParameter('Invalid sort by field');
    const dir = (opts.sortdirection ?? 'ASC').toUpperCase();
    if (dir !== 'ASC' && dir !== 'DESC') throw invalidParameter('Invalid sort direction');
    const users = enrolments.map((e) => ({ e, u: ctx.store.user(e.userid)! }));
    users.sort((a, b) => {
      const k = sortby === 'firstname' || sortby === 'lastname' ? sortby : 'id';
      const c = k === 'id' ? a.u.id - b.u.id : a.u[k].localeCompare(b.u[k]) || a.u.id - b.u.id;
      return dir === 'DESC' ? -c : c;
    });
    const from = Number(opts.limitfrom ?? 0) || 0;
    const limit = Number(opts.limitnumber ?? 0) || 0;
    const page = limit > 0 ? users.slice(from, from + limit) : users.slice(from);
    const mine = new Set(ctx.store.coursesOfUser(ctx.access.userid).map((c) => c.id));

    return page.map(({ e, u }) => {
      const role = ROLES[e.role];
      const shared = ctx.store.coursesOfUser(u.id).filter((c) => mine.has(c.id) || ctx.access.isAdmin);
      return {
        id: u.id,
        username: u.username,
        firstname: u.firstname,
        lastname: u.lastname,
        fullname: `${u.firstname} ${u.lastname}`,
        email: u.email,
        department: '',
        idnumber: u.idnumber,
        firstaccess: u.firstaccess,
        lastaccess: u.lastaccess,
        lastcourseaccess: e.lastcourseaccess,
        description: '',
        descriptionformat: 1,
        city: u.city,
        country: u.country,
        profileimageurlsmall: `${ctx.wwwroot}/theme/image.php/boost/core/1/u/f2`,
        profileimageurl: `${ctx.wwwroot}/theme/image.php/boost/core/1/u/f1`,
        groups: [],
        roles: [{ roleid: role.roleid, name: '', shortname: role.shortname, sortorder: 0 }],
        enrolledcourses: shared.map((c) => ({ id: c.id, fullname: c.fullname, shortname: c.shortname })),
      };
    });
  },
};

/**
 * enrol_get_users_courses($userid, onlyactive: true): the user's courses with
 * an enrolment that has started, without the site course; a hidden course only
 * when the user themself has moodle/course:viewhiddencourses there. Order:
 * visible first, then the course sort order (navsortmycourseshiddenlast and
 * navsortmycoursessort at their defaults).
 */
function activeCoursesOf(ctx: CallContext, userid: number): Course[] {
  const now = ctx.store.clock();
  const started = new Set(ctx.store.data.enrolments.filter((e) => e.userid === userid && e.timestart < now).map((e) => e.courseid));
  return ctx.store.data.courses
    .filter((c) => c.id !== 1 && started.has(c.id))
    .filter((c) => c.visible === 1 || ctx.access.userHas(userid, 'moodle/course:viewhiddencourses', c.id))
    .sort((a, b) => b.visible - a.visible || a.sortorder - b.sortorder);
}

/**
 * May the caller see `userid` among this course's courses of another user?
 * course_can_view_participants (viewparticipants or enrolreview) and
 * \core\user::can_view_profile with forceloginforprofiles on: a course contact
 * (an editing teacher anywhere, the default coursecontact role) always, anyone
 * else when the caller has moodle/user:viewdetails in the course.
 */
function mayListFor(ctx: CallContext, userid: number, courseid: number): boolean {
  const participants = ctx.access.has('moodle/course:viewparticipants', courseid) || ctx.access.has('moodle/course:enrolreview', courseid);
  if (!participants) return false;
  const courseContact = ctx.store.data.enrolments.some((e) => e.userid === userid && e.role === 'editingteacher');
  return courseContact || ctx.access.has('moodle/user:viewdetails', courseid);
}

/**
 * One entry, in the key order of get_users_courses_returns. Completion: the
 * sim records no completion states, so a tracked user (isincompletionreports)
 * has progress 0 and no course is completed; both are null unless the caller is
 * the user or may view their completion data (report/completion:view).
 */
function usersCourseEntry(ctx: CallContext, c: Course, userid: number, withCount: boolean): Record<string, unknown> {
  const completionShown = userid === ctx.access.userid || ctx.access.has('report/completion:view', c.id);
  const tracked = completionShown && ctx.access.userHas(userid, 'moodle/course:isincompletionreports', c.id);
  const lastaccess = ctx.store.enrolment(userid, c.id)?.lastcourseaccess ?? 0;
  const e: Record<string, unknown> = { id: c.id, shortname: c.shortname, fullname: c.fullname, displayname: c.fullname };
  if (withCount) e.enrolledusercount = ctx.store.enrolmentsOfCourse(c.id).length;
  return Object.assign(e, {
    idnumber: c.idnumber,
    visible: c.visible,
    summary: c.summary,
    summaryformat: 1,
    format: c.format,
    courseimage: generatedCourseImage(c),
    showgrades: true,
    lang: '',
    enablecompletion: true,
    completionhascriteria: false,
    completionusertracked: tracked,
    category: c.category,
    progress: tracked ? 0 : null,
    completed: completionShown ? false : null,
    startdate: c.startdate,
    enddate: c.enddate,
    marker: 0,
    lastaccess: lastaccess > 0 ? lastaccess : null,
    isfavourite: false,
    hidden: false,
    overviewfiles: [],
    showactivitydates: true,
    showcompletionconditions: true,
    timemodified: c.timemodified,
  });
}

/**
 * core_enrol_get_users_courses (core_enrol_external::get_users_courses). No
 * exception for another user or an unknown user id: a course the caller cannot
 * enter (validate_context) is left out, and for another user also a course
 * where mayListFor says no. The caller's favourites and hidden-on-dashboard
 * flags are not modelled (false), nor are overview files.
 */
export const getUsersCourses: WsFunction = {
  name: 'core_enrol_get_users_courses',
  params: params({ userid: value('int'), returnusercount: defaultValue('bool', true) }),
  handler(ctx, p) {
    const userid = read.int(p, 'userid');
    const withCount = read.bool(p, 'returnusercount');
    const self = userid === ctx.access.userid;
    return activeCoursesOf(ctx, userid)
      .filter((c) => ctx.access.canEnter(c.id) && (self || mayListFor(ctx, userid, c.id)))
      .map((c) => usersCourseEntry(ctx, c, userid, withCount));
  },
};
