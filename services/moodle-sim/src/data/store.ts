/**
 * The sim's live database: the seeded data set plus the one kind of write the
 * sim supports (assignment grades and feedback, via mod_assign_save_grade).
 * Lookups that Moodle does with MUST_EXIST throw dml_missing_record_exception.
 */
import { invalidRecord } from '../errors.js';
import type { AssignGrade, Assign, Course, Dataset, Enrolment, Forum, Quiz, Submission, User } from './types.js';
import { buildDataset } from './seed.js';
import { buildModuleEvents, type CalendarEvent } from './events.js';

export interface SaveGradeInput {
  assignmentid: number;
  userid: number;
  grade: number;
  attemptnumber: number;
  workflowstate: string;
  feedback?: { text: string; format: number };
  grader: number;
}

export class Store {
  readonly data: Dataset;
  /** mdl_event: the activities' calendar events (their dates never change at run time). */
  readonly events: readonly CalendarEvent[];
  /** Current sim time in unix seconds (the data set's "now" plus time elapsed since start). */
  readonly clock: () => number;
  /** save_grade calls that ran to the end, and those that changed a grade or feedback. */
  saveGradeCalls = 0;
  stateChanges = 0;

  constructor(nowMs: number) {
    const nowSec = Math.floor(nowMs / 1000);
    this.data = buildDataset(nowSec);
    this.events = buildModuleEvents(this.data);
    const startedAt = Date.now();
    this.clock = () => nowSec + Math.floor((Date.now() - startedAt) / 1000);
  }

  user(id: number): User | undefined {
    return this.data.users.find((u) => u.id === id);
  }

  mustUser(id: number): User {
    const u = this.user(id);
    if (!u) throw invalidRecord('user', id);
    return u;
  }

  course(id: number): Course | undefined {
    return this.data.courses.find((c) => c.id === id);
  }

  mustCourse(id: number): Course {
    const c = this.course(id);
    if (!c) throw invalidRecord('course', id);
    return c;
  }

  mustAssign(id: number): Assign {
    const a = this.data.assigns.find((x) => x.id === id);
    if (!a) throw invalidRecord('assign', id);
    return a;
  }

  mustQuiz(id: number): Quiz {
    const q = this.data.quizzes.find((x) => x.id === id);
    if (!q) throw invalidRecord('quiz', id);
    return q;
  }

  forum(id: number): Forum | undefined {
    return this.data.forums.find((f) => f.id === id);
  }

  enrolment(userid: number, courseid: number): Enrolment | undefined {
    return this.data.enrolments.find((e) => e.userid === userid && e.courseid === courseid);
  }

  enrolmentsOfCourse(courseid: number): Enrolment[] {
    return this.data.enrolments.filter((e) => e.courseid === courseid);
  }

  coursesOfUser(userid: number): Course[] {
    const ids = new Set(this.data.enrolments.filter((e) => e.userid === userid).map((e) => e.courseid));
    return this.data.courses.filter((c) => ids.has(c.id));
  }

  latestSubmission(assignment: number, userid: number): Submission | undefined {
    return this.data.submissions
      .filter((s) => s.assignment === assignment && s.userid === userid)
      .sort((a, b) => b.attemptnumber - a.attemptnumber)[0];
  }

  /** The grade record of the latest attempt (assign::get_user_grade(userid, false)). */
  currentGrade(assignment: number, userid: number): AssignGrade | undefined {
    const attempt = this.latestSubmission(assignment, userid)?.attemptnumber ?? 0;
    return this.data.grades.find((g) => g.assignment === assignment && g.userid === userid && g.attemptnumber === attempt);
  }

  /** assign::get_grading_status without marking workflow: graded when a grade >= 0 exists. */
  gradingStatus(assignment: number, userid: number): 'graded' | 'notgraded' {
    const g = this.currentGrade(assignment, userid);
    return g && g.grade >= 0 ? 'graded' : 'notgraded';
  }

  /** Submitted work whose grade is missing or older than the submission (assign::count_submissions_need_grading). */
  countNeedGrading(assignment: number): number {
    return this.data.submissions.filter((s) => {
      if (s.assignment !== assignment || s.status !== 'submitted') return false;
      const g = this.currentGrade(assignment, s.userid);
      return !g || g.grade < 0 || g.timemodified < s.timemodified;
    }).length;
  }

  /**
   * assign::save_grade → apply_grade_to_user → update_grade. As in Moodle, a
   * grade outside 0..max (other than -1, "no grade") is not stored, yet the web
   * service still answers null; the feedback is saved either way.
   */
  saveGrade(input: SaveGradeInput): void {
    const a = this.mustAssign(input.assignmentid);
    this.mustUser(input.userid);
    const attemptnumber = input.attemptnumber < 0 ? (this.latestSubmission(a.id, input.userid)?.attemptnumber ?? 0) : input.attemptnumber;
    const now = this.clock();
    let g = this.data.grades.find((x) => x.assignment === a.id && x.userid === input.userid && x.attemptnumber === attemptnumber);
    const before = g ? JSON.stringify([g.grade, g.feedback, g.feedbackformat, g.workflowstate]) : null;
    if (!g) {
      g = { id: Math.max(0, ...this.data.grades.map((x) => x.id)) + 1, assignment: a.id, userid: input.userid, attemptnumber, grade: -1, grader: input.grader, timecreated: now, timemodified: now, feedback: '', feedbackformat: 1, workflowstate: '' };
      this.data.grades.push(g);
    }
    const inRange = input.grade === -1 || (input.grade >= 0 && input.grade <= a.grade);
    if (inRange) g.grade = Math.round(input.grade * 100000) / 100000;
    if (input.feedback) {
      g.feedback = input.feedback.text;
      g.feedbackformat = input.feedback.format;
    }
    g.workflowstate = input.workflowstate;
    g.grader = input.grader;
    g.timemodified = now;
    this.saveGradeCalls++;
    if (JSON.stringify([g.grade, g.feedback, g.feedbackformat, g.workflowstate]) !== before) this.stateChanges++;
  }
}
