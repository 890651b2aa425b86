/**
 * core_enrol_get_enrolled_users (enrol/externallib.php): the participants of a
 * course with their roles and the other courses they share with the caller.
 */
import { MoodleException, courseContextNotValid, invalidParameter } from '../errors.js';
import { userHasInCourse } from '../auth/access.js';
import { ROLES } from '../auth/capabilities.js';
import { multiple, params, single, value } from '../params/schema.js';
import { read, type WsFunction } from './registry.js';

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
