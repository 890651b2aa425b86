/**
 * The Moodle account behind the token, and its courses: what the tools use
 * where Moodle has no "my ..." function that works for a teacher.
 *
 * Each teacher acts with their own token, and an ordinary teacher has no
 * moodle/course:view, so core_course_get_courses (every course) answers them
 * with nopermissions. core_enrol_get_users_courses lists a user's courses but
 * needs the user's id, which core_webservice_get_site_info gives. Both calls
 * are read through the per-token cache (site info for an hour, the course
 * list for minutes), so asking for them before another call is cheap.
 */
import type { ToolContext } from './types.js';

/**
 * An entry of core_enrol_get_users_courses (enrol/externallib.php,
 * get_users_courses_returns): the course record fields, `category` (an id;
 * no category name) and `visible` as 0/1. Only courses the account may
 * enter are listed (validate_context), with active enrolments only; the
 * site front page is never among them.
 */
export interface RawEnrolledCourse {
  id: number;
  shortname?: string;
  fullname?: string;
  displayname?: string;
  idnumber?: string;
  visible?: number | boolean;
  summary?: string;
  format?: string;
  category?: number;
  startdate?: number;
  enddate?: number;
}

/** The Moodle user id of the token's account (core_webservice_get_site_info, the same call get_site_info makes). */
export async function accountUserId(ctx: ToolContext): Promise<number> {
  const info = await ctx.moodle.call<{ userid?: number }>('core_webservice_get_site_info', {}, { signal: ctx.signal });
  if (typeof info.userid !== 'number' || info.userid <= 0) {
    throw new Error('core_webservice_get_site_info answered without the user id of the account');
  }
  return info.userid;
}

/**
 * The courses the token's account is enrolled in and may enter, in Moodle's
 * order. returnusercount=false: the participant counts cost Moodle a query
 * per course and no tool shows them.
 */
export async function enrolledCourses(ctx: ToolContext): Promise<RawEnrolledCourse[]> {
  const userid = await accountUserId(ctx);
  return ctx.moodle.call<RawEnrolledCourse[]>('core_enrol_get_users_courses', { userid, returnusercount: false }, { signal: ctx.signal });
}

/** The wsfunctions behind enrolledCourses, for the `wsfunctions` list of a tool that uses it. */
export const ENROLLED_COURSES_FUNCTIONS = ['core_webservice_get_site_info', 'core_enrol_get_users_courses'] as const;
