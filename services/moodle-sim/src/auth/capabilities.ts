/**
 * The capabilities the simulated functions check, their English display names
 * (what get_capability_string() puts into a "nopermissions" message) and which
 * of them Moodle's default course roles (db/access.php archetypes) grant.
 */

/** Capability → display name (lang strings of the owning component). */
export const CAPABILITY_NAMES: Readonly<Record<string, string>> = {
  'moodle/course:view': 'View courses without participation',
  'moodle/course:update': 'Update course settings',
  'moodle/course:viewhiddencourses': 'View hidden courses',
  'moodle/course:viewparticipants': 'View participants',
  'moodle/course:viewhiddenactivities': 'View hidden activities',
  'moodle/course:manageactivities': 'Manage activities',
  'moodle/course:enrolreview': 'Review course enrolments',
  'moodle/course:isincompletionreports': 'Be shown on completion reports',
  'moodle/user:viewdetails': 'View user profiles',
  'report/completion:view': 'View course completion report',
  'moodle/grade:view': 'View own grades',
  'moodle/grade:viewall': 'View grades of other users',
  'gradereport/user:view': 'View your own complete grade report',
  'mod/assign:view': 'View assignment',
  'mod/assign:submit': 'Submit assignment',
  'mod/assign:grade': 'Grade assignment',
  'mod/assign:viewgrades': 'View grades',
  'mod/quiz:view': 'View quiz information',
  'mod/quiz:attempt': 'Attempt quizzes',
  'mod/quiz:viewreports': 'View quiz reports',
  'mod/quiz:grade': 'Grade quizzes manually',
  'mod/forum:viewdiscussion': 'View discussions',
  'mod/forum:startdiscussion': 'Start new discussions',
  'mod/forum:replypost': 'Reply to posts',
};

export const KNOWN_CAPABILITIES: ReadonlySet<string> = new Set(Object.keys(CAPABILITY_NAMES));

/**
 * The course roles of the data set: Moodle's three standard course roles and
 * one custom role, "Teaching assistant" (archetype teacher: it starts with the
 * Non-editing teacher's capabilities), held only by Jonas Noor (user 6). A
 * custom role is needed because Moodle overrides permissions per role and
 * context, never per user: overriding the standard Non-editing teacher role in
 * a course would also change every other non-editing teacher there.
 */
export type CourseRole = 'student' | 'teacher' | 'editingteacher' | 'teachingassistant';

const STUDENT = [
  'moodle/course:viewparticipants',
  'moodle/course:isincompletionreports',
  'moodle/user:viewdetails',
  'moodle/grade:view',
  'gradereport/user:view',
  'mod/assign:view',
  'mod/assign:submit',
  'mod/quiz:view',
  'mod/quiz:attempt',
  'mod/forum:viewdiscussion',
  'mod/forum:startdiscussion',
  'mod/forum:replypost',
];

// Non-editing teacher: grades and reports, but no course settings; not a participant (no submitting, attempting, completion tracking).
const PARTICIPANT_ONLY = new Set(['mod/assign:submit', 'mod/quiz:attempt', 'moodle/course:isincompletionreports']);
const TEACHER = [
  ...STUDENT.filter((c) => !PARTICIPANT_ONLY.has(c)),
  'moodle/course:viewhiddenactivities',
  'moodle/grade:viewall',
  'mod/assign:grade',
  'mod/assign:viewgrades',
  'mod/quiz:viewreports',
  'mod/quiz:grade',
  'report/completion:view',
];

const EDITINGTEACHER = [...TEACHER, 'moodle/course:update', 'moodle/course:viewhiddencourses', 'moodle/course:manageactivities', 'moodle/course:enrolreview'];

/** Default capabilities per course role; note that no course role has moodle/course:view (managers/admins do). */
export const ROLE_CAPABILITIES: Readonly<Record<CourseRole, ReadonlySet<string>>> = {
  student: new Set(STUDENT),
  teacher: new Set(TEACHER),
  editingteacher: new Set(EDITINGTEACHER),
  teachingassistant: new Set(TEACHER),
};

/** Moodle's standard role ids, names and sort order (mdl_role as installed). */
export const ROLES: Readonly<Record<CourseRole, { roleid: number; name: string; shortname: CourseRole; sortorder: number }>> = {
  editingteacher: { roleid: 3, name: 'Teacher', shortname: 'editingteacher', sortorder: 3 },
  teacher: { roleid: 4, name: 'Non-editing teacher', shortname: 'teacher', sortorder: 4 },
  student: { roleid: 5, name: 'Student', shortname: 'student', sortorder: 5 },
  // Custom roles get ids after the eight Moodle installs (manager … frontpage).
  teachingassistant: { roleid: 9, name: 'Teaching assistant', shortname: 'teachingassistant', sortorder: 9 },
};

/**
 * A role override in a course context (mdl_role_capabilities with a course
 * contextid), as Participants > Permissions saves it. 'prohibit' (CAP_PROHIBIT)
 * wins over every allow the user has in that course; 'prevent' (CAP_PREVENT)
 * removes the role's own allow there.
 */
export interface RoleOverride {
  courseid: number;
  role: CourseRole;
  capability: string;
  permission: 'allow' | 'prevent' | 'prohibit';
}
