/**
 * How long a cached answer of each Moodle function stays fresh, in seconds.
 * The table reflects how often the data changes and how much a stale answer
 * hurts: site info almost never changes; course lists and contents change a
 * few times a term; enrolments and activity settings a few times a day;
 * submissions, grades and attempts change while a teacher is working.
 * CACHE_TTL_OVERRIDES replaces single entries; 0 means "never cache".
 */
export const DEFAULT_TTL_SECONDS: Readonly<Record<string, number>> = {
  // Site and the token's own user: changes only when the admin reconfigures.
  core_webservice_get_site_info: 3600,
  // Course lists, contents and search: minutes.
  core_course_get_courses: 300,
  core_course_get_courses_by_field: 300,
  core_course_search_courses: 300,
  core_course_get_contents: 300,
  core_course_get_categories: 600,
  core_enrol_get_users_courses: 300,
  // People and activities: a few minutes.
  core_enrol_get_enrolled_users: 120,
  core_user_get_users_by_field: 300,
  core_group_get_course_groups: 300,
  mod_assign_get_assignments: 120,
  mod_quiz_get_quizzes_by_courses: 120,
  mod_forum_get_forums_by_courses: 120,
  mod_forum_get_forum_discussions: 60,
  // Work in progress: tens of seconds.
  mod_assign_get_submissions: 30,
  mod_assign_get_submission_status: 30,
  mod_assign_get_grades: 30,
  core_grades_get_grades: 30,
  gradereport_user_get_grade_items: 30,
  gradereport_user_get_grades_table: 30,
  mod_quiz_get_user_attempts: 30,
  mod_quiz_get_attempt_review: 30,
  core_completion_get_activities_completion_status: 60,
  core_calendar_get_calendar_events: 60,
  core_calendar_get_action_events_by_timesort: 60,
};

export class TtlPolicy {
  private readonly table: Readonly<Record<string, number>>;

  /** All durations in seconds; `overrides` win over the built-in table. */
  constructor(
    private readonly defaultSeconds: number,
    overrides: Readonly<Record<string, number>> = {},
  ) {
    this.table = { ...DEFAULT_TTL_SECONDS, ...overrides };
  }

  /** Freshness of `wsfunction`'s answers, seconds; 0 → not cached. */
  seconds(wsfunction: string): number {
    return Object.prototype.hasOwnProperty.call(this.table, wsfunction) ? (this.table[wsfunction] as number) : this.defaultSeconds;
  }

  /** The longest TTL any function can get, seconds. */
  maxSeconds(): number {
    return Math.max(this.defaultSeconds, ...Object.values(this.table));
  }

  /** Function names the policy knows (a bounded set, used to zero metric labels). */
  knownFunctions(): string[] {
    return Object.keys(this.table).sort();
  }
}
