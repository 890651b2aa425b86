/**
 * Web service tokens. A token belongs to a user and to a "service" (the list of
 * functions it may call). Capabilities come from the user's course roles, as
 * in Moodle, unless the token spec overrides them.
 */
import { SEED } from '../seedIds.js';
import { DEMO_TEACHERS } from './demoTeachers.js';

export interface TokenSpec {
  userid: number;
  /** The functions of the token's service; undefined = every simulated function. */
  functions?: string[];
  /**
   * undefined: the capabilities of the user's role in each course (Moodle's defaults);
   * 'all': every capability everywhere, enrolled or not (a site administrator);
   * a list: exactly these capabilities, in the courses the user is enrolled in.
   */
  capabilities?: 'all' | string[];
}

/** The default full-access token: the demo teacher (SEED.teacherId) with site-admin powers. */
export const DEMO_TOKEN = 'd3m0c0ffee5eed0000moodlesim00000demo';

/** Role-based tokens for tests; not active unless passed in `tokens` (see testTokens()). */
export const TEACHER_TOKEN = '7eac4e70000000000moodlesim000teacher';
export const STUDENT_TOKEN = '57d0e470000000000moodlesim000student';
export const RESTRICTED_TOKEN = '4e57c7ed000000000moodlesim00restrict';

/** DEMO_TOKEN (site-admin powers) and every demo teacher's own token (their role capabilities). */
export function defaultTokens(): Record<string, TokenSpec> {
  return { [DEMO_TOKEN]: { userid: SEED.teacherId, capabilities: 'all' }, ...teacherTokens() };
}

/** The demo teachers' tokens: each acts with Moodle's default capabilities of the teacher's course roles. */
export function teacherTokens(): Record<string, TokenSpec> {
  return Object.fromEntries(DEMO_TEACHERS.map((t) => [t.token, { userid: t.userid }]));
}

/**
 * The demo token plus: the demo teacher with only the role capabilities of a
 * course teacher, a student (SEED.studentId), and a teacher token whose service
 * only holds core_webservice_get_site_info and core_course_get_courses.
 */
export function testTokens(): Record<string, TokenSpec> {
  return {
    ...defaultTokens(),
    [TEACHER_TOKEN]: { userid: SEED.teacherId },
    [STUDENT_TOKEN]: { userid: SEED.studentId },
    [RESTRICTED_TOKEN]: { userid: SEED.teacherId, capabilities: 'all', functions: ['core_webservice_get_site_info', 'core_course_get_courses'] },
  };
}
