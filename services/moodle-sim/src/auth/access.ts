/**
 * The caller of one web service request: has_capability / require_capability /
 * validate_context (require_login) as the simulated functions need them.
 */
import { requireLogin, requiredCapability } from '../errors.js';
import type { Store } from '../data/store.js';
import type { User } from '../data/types.js';
import { CAPABILITY_NAMES, ROLE_CAPABILITIES } from './capabilities.js';
import type { TokenSpec } from './tokens.js';

/**
 * has_capability for a user without site-wide powers, in a course: the
 * archetype default of their course role, then the course's overrides of that
 * role (lib/accesslib.php: a CAP_PROHIBIT anywhere wins; an override in the
 * course context replaces the role's default there). Not enrolled: false.
 */
export function userHasInCourse(store: Store, userid: number, capability: string, courseid: number): boolean {
  const e = store.enrolment(userid, courseid);
  if (!e) return false;
  const override = store.data.overrides.find((o) => o.courseid === courseid && o.role === e.role && o.capability === capability);
  if (override) return override.permission === 'allow';
  return ROLE_CAPABILITIES[e.role].has(capability);
}

export class Access {
  readonly user: User;

  constructor(
    private readonly store: Store,
    private readonly spec: TokenSpec,
  ) {
    this.user = store.mustUser(spec.userid);
  }

  get userid(): number {
    return this.user.id;
  }

  /** is_siteadmin: every capability everywhere, overrides and prohibits included. */
  get isAdmin(): boolean {
    return this.spec.capabilities === 'all';
  }

  /** has_capability in a course (or a module of it). */
  has(capability: string, courseid: number): boolean {
    if (this.spec.capabilities === 'all') return true;
    if (Array.isArray(this.spec.capabilities)) return !!this.store.enrolment(this.userid, courseid) && this.spec.capabilities.includes(capability);
    return userHasInCourse(this.store, this.userid, capability, courseid);
  }

  /**
   * has_capability($capability, $coursecontext, $userid): the caller's own
   * capabilities (site admin and token overrides included) when `userid` is the
   * caller, else what that user's course role gives them.
   */
  userHas(userid: number, capability: string, courseid: number): boolean {
    return userid === this.userid ? this.has(capability, courseid) : userHasInCourse(this.store, userid, capability, courseid);
  }

  /** require_capability: throws required_capability_exception (errorcode nopermissions). */
  require(capability: string, courseid: number): void {
    if (!this.has(capability, courseid)) throw requiredCapability(CAPABILITY_NAMES[capability] ?? capability);
  }

  /** validate_context → require_login: the user must be enrolled (admins pass), and hidden courses need viewhiddencourses. */
  canEnter(courseid: number): boolean {
    if (courseid === 1 || this.isAdmin) return true;
    const e = this.store.enrolment(this.userid, courseid);
    if (!e) return false;
    const course = this.store.course(courseid);
    return !!course && (course.visible === 1 || this.has('moodle/course:viewhiddencourses', courseid));
  }

  validateCourse(courseid: number): void {
    if (!this.canEnter(courseid)) throw requireLogin();
  }

  /** Is the user a student of the course (an assignment participant / quiz attempter)? */
  isStudent(courseid: number): boolean {
    return this.store.enrolment(this.userid, courseid)?.role === 'student';
  }
}
