/**
 * Course records as the core_course functions export them. Key order follows
 * each function's returns description, because clean_returnvalue rebuilds the
 * answer in that order.
 */
import type { Access } from '../auth/access.js';
import type { Store } from '../data/store.js';
import type { Course } from '../data/types.js';

function numsections(store: Store, c: Course): number {
  return store.data.sections.filter((s) => s.course === c.id).length - 1;
}

function formatOptions(store: Store, c: Course): { name: string; value: string }[] {
  if (c.format === 'site') return [];
  return [
    { name: 'hiddensections', value: '0' },
    { name: 'coursedisplay', value: '0' },
  ];
}

/** One entry of core_course_get_courses (full fields only with moodle/course:update). */
export function getCoursesEntry(store: Store, access: Access, c: Course): Record<string, unknown> {
  const admin = access.has('moodle/course:update', c.id);
  const e: Record<string, unknown> = { id: c.id, shortname: c.shortname, categoryid: c.category };
  if (admin) e.categorysortorder = c.sortorder;
  e.fullname = c.fullname;
  e.displayname = c.fullname;
  if (admin) e.idnumber = c.idnumber;
  Object.assign(e, { summary: c.summary, summaryformat: 1, format: c.format });
  if (admin) Object.assign(e, { showgrades: 1, newsitems: 5 });
  Object.assign(e, { startdate: c.startdate, enddate: c.enddate });
  if (c.format !== 'site' || admin) e.numsections = c.format === 'site' ? 0 : numsections(store, c);
  if (admin) {
    Object.assign(e, { maxbytes: 0, showreports: 0, visible: c.visible });
    if (c.format !== 'site') e.hiddensections = 0;
    Object.assign(e, {
      groupmode: 0,
      groupmodeforce: 0,
      defaultgroupingid: 0,
      timecreated: c.timecreated,
      timemodified: c.timemodified,
      enablecompletion: c.format === 'site' ? 0 : 1,
      completionnotify: 0,
      lang: '',
      forcetheme: '',
      courseformatoptions: formatOptions(store, c),
    });
  }
  Object.assign(e, { showactivitydates: c.format !== 'site', showcompletionconditions: c.format === 'site' ? null : true });
  return e;
}

/** Teachers listed as course contacts (coursecontact setting: editing teachers). */
function contacts(store: Store, c: Course): { id: number; fullname: string }[] {
  return store
    .enrolmentsOfCourse(c.id)
    .filter((e) => e.role === 'editingteacher')
    .map((e) => {
      const u = store.user(e.userid)!;
      return { id: u.id, fullname: `${u.firstname} ${u.lastname}` };
    });
}

/**
 * The image of a course without an overview image: core_renderer's
 * get_generated_url_for_course, an SVG pattern as a data URI (here a plain SVG
 * naming the course).
 */
export function generatedCourseImage(c: Course): string {
  return `data:image/svg+xml;base64,${Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg"><title>${c.shortname}</title></svg>`).toString('base64')}`;
}

/** get_course_public_information: what anyone who may see the course listing gets. */
export function publicCourseInfo(store: Store, c: Course): Record<string, unknown> {
  const category = store.data.categories.find((x) => x.id === c.category);
  return {
    id: c.id,
    fullname: c.fullname,
    displayname: c.fullname,
    shortname: c.shortname,
    courseimage: generatedCourseImage(c),
    categoryid: c.category,
    categoryname: category?.name ?? '',
    sortorder: c.sortorder,
    summary: c.summary,
    summaryformat: 1,
    summaryfiles: [],
    overviewfiles: [],
    showactivitydates: true,
    showcompletionconditions: true,
    contacts: contacts(store, c),
    enrollmentmethods: ['manual'],
    customfields: [],
  };
}

/** get_courses_by_field entry for a course the user can enter: public information plus the course record. */
export function fullCourseInfo(store: Store, c: Course): Record<string, unknown> {
  return {
    ...publicCourseInfo(store, c),
    idnumber: c.idnumber,
    format: c.format,
    showgrades: 1,
    newsitems: 5,
    startdate: c.startdate,
    enddate: c.enddate,
    maxbytes: 0,
    showreports: 0,
    visible: c.visible,
    groupmode: 0,
    groupmodeforce: 0,
    defaultgroupingid: 0,
    enablecompletion: 1,
    completionnotify: 0,
    lang: '',
    theme: '',
    marker: 0,
    legacyfiles: 0,
    calendartype: '',
    timecreated: c.timecreated,
    timemodified: c.timemodified,
    requested: 0,
    cacherev: c.timemodified,
    filters: [],
    courseformatoptions: formatOptions(store, c),
  };
}
