/**
 * core_webservice_get_site_info and the core_course functions
 * (webservice/externallib.php, course/externallib.php).
 */
import { MoodleException, courseContextNotValid, invalidParameter } from '../errors.js';
import { defaultValue, multiple, params, single, value } from '../params/schema.js';
import type { Course } from '../data/types.js';
import { fullCourseInfo, getCoursesEntry, publicCourseInfo } from './courseInfo.js';
import { courseContents } from './contents.js';
import { read, type CallContext, type WsFunction } from './registry.js';

/** Moodle release the sim claims to be (4.5 LTS). */
export const MOODLE_RELEASE = '4.5.1 (Build: 20241209)';
export const MOODLE_VERSION = '2024100701.00';

function enterOrThrow(ctx: CallContext, courseid: number): void {
  try {
    ctx.access.validateCourse(courseid);
  } catch (err) {
    if (err instanceof MoodleException) throw courseContextNotValid(courseid, err);
    throw err;
  }
}

export const getSiteInfo: WsFunction = {
  name: 'core_webservice_get_site_info',
  params: params({ serviceshortnames: multiple(value('alphanumext'), 'default') }),
  handler(ctx) {
    const u = ctx.access.user;
    return {
      sitename: ctx.store.data.site.fullname,
      username: u.username,
      firstname: u.firstname,
      lastname: u.lastname,
      fullname: `${u.firstname} ${u.lastname}`,
      lang: 'en',
      userid: u.id,
      siteurl: ctx.wwwroot,
      userpictureurl: `${ctx.wwwroot}/theme/image.php/boost/core/1/u/f1`,
      functions: ctx.serviceFunctions.map((name) => ({ name, version: MOODLE_VERSION })),
      downloadfiles: 1,
      uploadfiles: 1,
      release: MOODLE_RELEASE,
      version: MOODLE_VERSION,
      mobilecssurl: '',
      advancedfeatures: ['usecomments', 'usetags', 'enablenotes', 'messaging', 'enableblogs', 'enablecompletion', 'enablebadges', 'mnet_dispatcher_mode'].map(
        (name) => ({ name, value: name === 'mnet_dispatcher_mode' ? 0 : 1 }),
      ),
      usercanmanageownfiles: true,
      userquota: 0,
      usermaxuploadfilesize: 104857600,
      userhomepage: 1,
      userprivateaccesskey: 'simprivatekey',
      siteid: 1,
      sitecalendartype: 'gregorian',
      usercalendartype: 'gregorian',
      userissiteadmin: ctx.access.isAdmin,
      theme: 'boost',
      limitconcurrentlogins: 0,
      policyagreed: 1,
    };
  },
};

export const getCourses: WsFunction = {
  name: 'core_course_get_courses',
  params: params({ options: single({ ids: multiple(value('int'), 'optional') }, 'default') }),
  handler(ctx, p) {
    const ids = read.ints(read.obj(p, 'options'), 'ids');
    const all = ctx.store.data.courses;
    const courses = ids.length === 0 ? all : all.filter((c) => ids.includes(c.id));
    const out: Record<string, unknown>[] = [];
    for (const c of courses) {
      enterOrThrow(ctx, c.id);
      if (c.id !== 1) ctx.access.require('moodle/course:view', c.id);
      if (ctx.access.has('moodle/course:update', c.id) || c.visible === 1 || ctx.access.has('moodle/course:viewhiddencourses', c.id)) {
        out.push(getCoursesEntry(ctx.store, ctx.access, c));
      }
    }
    return out;
  },
};

const FIELDS = ['id', 'ids', 'shortname', 'idnumber', 'category'];

export const getCoursesByField: WsFunction = {
  name: 'core_course_get_courses_by_field',
  params: params({ field: defaultValue('alpha', ''), value: defaultValue('raw', '') }),
  handler(ctx, p) {
    const field = read.str(p, 'field');
    const v = read.str(p, 'value');
    if (field !== '' && !FIELDS.includes(field)) throw invalidParameter('Invalid field name');
    if (field !== '' && v === '') throw invalidParameter('When using a field, a value must be provided');
    const courses = ctx.store.data.courses.filter((c) => {
      if (c.id === 1) return false;
      switch (field) {
        case 'id':
          return c.id === parseInt(v, 10);
        case 'ids':
          return v.split(',').map((x) => parseInt(x.trim(), 10)).includes(c.id);
        case 'shortname':
          return c.shortname === v;
        case 'idnumber':
          return c.idnumber === v;
        case 'category':
          return c.category === parseInt(v, 10);
        default:
          return true;
      }
    });
    const out: Record<string, unknown>[] = [];
    for (const c of courses) {
      if (ctx.access.canEnter(c.id)) out.push(fullCourseInfo(ctx.store, c));
      else if (c.visible === 1) out.push(publicCourseInfo(ctx.store, c));
    }
    return { courses: out, warnings: [] };
  },
};

const CRITERIA = ['search', 'modulelist', 'blocklist', 'tagid'];

export const searchCourses: WsFunction = {
  name: 'core_course_search_courses',
  params: params({
    criterianame: value('alpha'),
    criteriavalue: value('raw'),
    page: defaultValue('int', 0),
    perpage: defaultValue('int', 0),
    requiredcapabilities: multiple(value('capability'), 'default'),
    limittoenrolled: defaultValue('bool', false),
    onlywithcompletion: defaultValue('bool', false),
  }),
  handler(ctx, p) {
    const name = read.str(p, 'criterianame');
    if (!CRITERIA.includes(name)) {
      throw invalidParameter(`Invalid value for criterianame parameter (value: ${name}),allowed values are: ${CRITERIA.join(',')}`);
    }
    const term = read.str(p, 'criteriavalue');
    const caps = (p.requiredcapabilities as string[]) ?? [];
    const matches = (c: Course): boolean => {
      if (name === 'modulelist') return ctx.store.data.cms.some((m) => m.course === c.id && m.modname === term);
      if (name !== 'search') return false;
      const hay = `${c.fullname} ${c.shortname} ${c.idnumber} ${c.summary}`.toLowerCase();
      return term
        .toLowerCase()
        .split(/\s+/)
        .filter(Boolean)
        .every((w) => hay.includes(w));
    };
    let found = ctx.store.data.courses.filter((c) => c.id !== 1 && matches(c));
    found = found.filter((c) => c.visible === 1 || ctx.access.has('moodle/course:viewhiddencourses', c.id));
    found = found.filter((c) => caps.every((cap) => ctx.access.has(cap, c.id)));
    if (read.bool(p, 'limittoenrolled')) found = found.filter((c) => ctx.store.enrolment(ctx.access.userid, c.id));
    const total = found.length;
    const perpage = read.int(p, 'perpage');
    const page = read.int(p, 'page');
    const slice = perpage > 0 ? found.slice(page * perpage, page * perpage + perpage) : found;
    return { total, courses: slice.map((c) => publicCourseInfo(ctx.store, c)), warnings: [] };
  },
};

export const getContents: WsFunction = {
  name: 'core_course_get_contents',
  params: params({
    courseid: value('int'),
    options: multiple(single({ name: value('alphanum'), value: value('raw') }), 'default'),
  }),
  handler(ctx, p) {
    const course = ctx.store.mustCourse(read.int(p, 'courseid'));
    enterOrThrow(ctx, course.id);
    const options: Record<string, string> = {};
    for (const o of read.list(p, 'options')) options[String(o.name).toLowerCase()] = String(o.value);
    return courseContents(ctx, course, options);
  },
};
