/**
 * The sim's database: plain records shaped like Moodle's tables (mdl_user,
 * mdl_course, mdl_assign, mdl_assign_submission, mdl_assign_grades, mdl_quiz,
 * mdl_quiz_attempts, mdl_forum, mdl_forum_discussions, ...). Times are unix
 * seconds. Only assignment grades change at run time (mod_assign_save_grade).
 */
import type { CourseRole, RoleOverride } from '../auth/capabilities.js';

export interface User {
  id: number;
  username: string;
  firstname: string;
  lastname: string;
  email: string;
  idnumber: string;
  city: string;
  country: string;
  firstaccess: number;
  lastaccess: number;
}

export interface Category {
  id: number;
  name: string;
}

export interface Course {
  id: number;
  category: number;
  fullname: string;
  shortname: string;
  idnumber: string;
  summary: string;
  format: 'site' | 'topics' | 'weeks';
  startdate: number;
  enddate: number;
  visible: 0 | 1;
  sortorder: number;
  timecreated: number;
  timemodified: number;
}

export interface Enrolment {
  userid: number;
  courseid: number;
  role: CourseRole;
  timestart: number;
  lastcourseaccess: number;
}

export type ModName = 'assign' | 'quiz' | 'forum' | 'resource' | 'url';

export interface CourseModule {
  id: number;
  course: number;
  sectionnum: number;
  modname: ModName;
  instance: number;
  name: string;
  visible: 0 | 1;
  added: number;
}

export interface Section {
  id: number;
  course: number;
  section: number;
  name: string;
  summary: string;
  cmids: number[];
}

export interface Assign {
  id: number;
  course: number;
  cmid: number;
  name: string;
  intro: string;
  allowsubmissionsfromdate: number;
  duedate: number;
  cutoffdate: number;
  gradingduedate: number;
  /** Maximum grade (points). */
  grade: number;
  timemodified: number;
}

export type SubmissionStatus = 'new' | 'draft' | 'submitted' | 'reopened';

export interface Submission {
  id: number;
  assignment: number;
  userid: number;
  status: SubmissionStatus;
  timecreated: number;
  timemodified: number;
  timestarted: number | null;
  attemptnumber: number;
  onlinetext: string;
}

/** mdl_assign_grades plus the assignfeedback_comments text for the same attempt. */
export interface AssignGrade {
  id: number;
  assignment: number;
  userid: number;
  attemptnumber: number;
  /** -1 means "no grade" (Moodle's convention). */
  grade: number;
  grader: number;
  timecreated: number;
  timemodified: number;
  feedback: string;
  feedbackformat: number;
  workflowstate: string;
}

export interface Quiz {
  id: number;
  course: number;
  cmid: number;
  name: string;
  intro: string;
  timeopen: number;
  timeclose: number;
  /** Seconds; 0 = no limit. */
  timelimit: number;
  /** Allowed attempts; 0 = unlimited. */
  attempts: number;
  sumgrades: number;
  grade: number;
  timecreated: number;
  timemodified: number;
}

export type AttemptState = 'inprogress' | 'overdue' | 'finished' | 'abandoned';

export interface QuizAttempt {
  id: number;
  quiz: number;
  userid: number;
  attempt: number;
  uniqueid: number;
  state: AttemptState;
  timestart: number;
  timefinish: number;
  timemodified: number;
  timecheckstate: number | null;
  sumgrades: number | null;
}

export interface Forum {
  id: number;
  course: number;
  cmid: number;
  type: 'news' | 'general';
  name: string;
  intro: string;
  timemodified: number;
}

export interface Discussion {
  id: number;
  forum: number;
  course: number;
  name: string;
  userid: number;
  firstpost: number;
  message: string;
  created: number;
  timemodified: number;
  usermodified: number;
  numreplies: number;
  pinned: boolean;
}

export interface Resource {
  id: number;
  course: number;
  cmid: number;
  name: string;
  modname: 'resource' | 'url';
  /** File name for a resource, the address for a url. */
  target: string;
}

export interface Dataset {
  /** "Now" of the data set, unix seconds: every date is relative to it. */
  now: number;
  site: { fullname: string; shortname: string };
  users: User[];
  categories: Category[];
  courses: Course[];
  enrolments: Enrolment[];
  sections: Section[];
  cms: CourseModule[];
  assigns: Assign[];
  submissions: Submission[];
  grades: AssignGrade[];
  quizzes: Quiz[];
  attempts: QuizAttempt[];
  forums: Forum[];
  discussions: Discussion[];
  resources: Resource[];
  /** Role overrides in course contexts. */
  overrides: RoleOverride[];
}
