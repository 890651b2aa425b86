/**
 * Builds the seeded data set. Same seed → same records on every run; every
 * date is an offset from `nowSec`, so "upcoming" deadlines always exist and
 * tests that pin `now` see identical timestamps.
 *
 * Ids are fixed by construction order. Course-module ids start at 201 and
 * differ from activity instance ids on purpose, so a client that confuses a
 * cmid with an assignment id gets a visibly wrong answer.
 */
import { createPrng, type Prng } from './prng.js';
import { CATEGORIES, CITIES, COURSES, DISCUSSION_TOPICS, ANNOUNCEMENTS, FEEDBACK, FIRST_NAMES, LAST_NAMES, LATE_STAFF, ROLE_OVERRIDES, SITE, STAFF } from './catalog.js';
import type { Assign, AssignGrade, Course, CourseModule, Dataset, Enrolment, QuizAttempt, Submission, User } from './types.js';

export const DATA_SEED = 0x5eed2024;
const DAY = 86400;
const HOUR = 3600;
export const FIRST_STUDENT_ID = 10;
export const STUDENT_COUNT = 60;

/** Student enrolment per course: course 2 gets a fixed block so the SEED students are known; others are drawn. */
const STUDENTS_PER_COURSE: Record<number, number> = { 3: 26, 4: 28, 5: 24, 6: 22, 7: 15 };

export function buildDataset(nowSec: number, seed = DATA_SEED): Dataset {
  const rnd = createPrng(seed);
  const ds: Dataset = {
    now: nowSec,
    site: SITE,
    users: [],
    categories: CATEGORIES.map((c) => ({ ...c })),
    courses: [],
    enrolments: [],
    sections: [],
    cms: [],
    assigns: [],
    submissions: [],
    grades: [],
    quizzes: [],
    attempts: [],
    forums: [],
    discussions: [],
    resources: [],
    overrides: ROLE_OVERRIDES.map((o) => ({ ...o })),
  };
  const ids = { section: 1, cm: 201, assign: 1, submission: 1, grade: 1, quiz: 1, attempt: 1, uniqueid: 5001, forum: 1, discussion: 1, post: 1, resource: 1 };
  const start = nowSec - 45 * DAY;

  ds.users.push(user({ id: 1, username: 'guest', firstname: 'Guest user', lastname: ' ' }, 'Oslo', 0, 0));
  for (const s of STAFF) ds.users.push(user(s, rnd.pick(CITIES), start - 200 * DAY, nowSec - rnd.int(60, 2 * DAY)));
  for (let i = 0; i < STUDENT_COUNT; i++) {
    const id = FIRST_STUDENT_ID + i;
    const firstname = FIRST_NAMES[i % FIRST_NAMES.length]!;
    const lastname = LAST_NAMES[(i * 7) % LAST_NAMES.length]!;
    const username = `${firstname}.${lastname}${id}`.toLowerCase();
    ds.users.push(user({ id, username, firstname, lastname }, rnd.pick(CITIES), start - rnd.int(1, 30) * DAY, nowSec - rnd.int(300, 9 * DAY)));
  }
  const studentIds = ds.users.filter((u) => u.id >= FIRST_STUDENT_ID).map((u) => u.id);

  // The site course (id 1, format "site") exists in every Moodle and is returned by core_course_get_courses.
  ds.courses.push(course({ id: 1, category: 0, shortname: SITE.shortname, fullname: SITE.fullname, format: 'site', visible: 1 }, 0, start - 400 * DAY));

  for (const spec of COURSES) {
    ds.courses.push(course(spec, spec.id, start));
    for (const [userid, role] of spec.staff) ds.enrolments.push(enrol(userid, spec.id, role, start, nowSec - rnd.int(60, DAY)));
    const students = spec.id === 2 ? studentIds.slice(0, 30) : rnd.shuffle(studentIds).slice(0, STUDENTS_PER_COURSE[spec.id] ?? 20);
    students.sort((a, b) => a - b);
    for (const s of students) ds.enrolments.push(enrol(s, spec.id, 'student', start + rnd.int(0, 5) * DAY, nowSec - rnd.int(600, 6 * DAY)));

    const cm = (sectionnum: number, modname: CourseModule['modname'], instance: number, name: string): number => {
      const c: CourseModule = { id: ids.cm++, course: spec.id, sectionnum, modname, instance, name, visible: 1, added: start + sectionnum * DAY };
      ds.cms.push(c);
      ds.sections.find((s) => s.course === spec.id && s.section === sectionnum)!.cmids.push(c.id);
      return c.id;
    };
    ['', ...spec.sections].forEach((name, i) => ds.sections.push({ id: ids.section++, course: spec.id, section: i, name, summary: '', cmids: [] }));

    // Section 0: the announcements forum, as Moodle creates it.
    const news = { id: ids.forum++, course: spec.id, cmid: 0, type: 'news' as const, name: 'Announcements', intro: 'General news and announcements', timemodified: start };
    news.cmid = cm(0, 'forum', news.id, news.name);
    ds.forums.push(news);
    const editor = spec.staff.find(([, r]) => r === 'editingteacher')![0];
    for (let i = 0; i < rnd.int(1, ANNOUNCEMENTS.length); i++) {
      const created = start + (i * 12 + rnd.int(0, 5)) * DAY;
      ds.discussions.push({ id: ids.discussion++, forum: news.id, course: spec.id, name: ANNOUNCEMENTS[i]!, userid: editor, firstpost: ids.post++, message: `<p>${ANNOUNCEMENTS[i]}.</p>`, created, timemodified: created, usermodified: editor, numreplies: 0, pinned: i === 0 });
    }

    const general = { id: ids.forum++, course: spec.id, cmid: 0, type: 'general' as const, name: 'Course discussion', intro: 'Ask questions and help each other.', timemodified: start };
    general.cmid = cm(1, 'forum', general.id, general.name);
    ds.forums.push(general);
    for (const topic of rnd.shuffle(DISCUSSION_TOPICS).slice(0, rnd.int(2, 5))) {
      const author = rnd.pick(students);
      const created = nowSec - rnd.int(1, 30) * DAY - rnd.int(0, 20) * HOUR;
      const replies = rnd.int(0, 6);
      const lastBy = replies > 0 ? rnd.pick(students) : author;
      ds.discussions.push({ id: ids.discussion++, forum: general.id, course: spec.id, name: topic, userid: author, firstpost: ids.post, message: `<p>${topic}</p>`, created, timemodified: Math.min(nowSec, created + replies * 7 * HOUR), usermodified: lastBy, numreplies: replies, pinned: false });
      ids.post += replies + 1;
    }

    const reading = { id: ids.resource++, course: spec.id, cmid: 0, name: 'Course reading list', modname: 'url' as const, target: `https://library.example.edu/lists/${spec.shortname.toLowerCase()}` };
    reading.cmid = cm(1, 'url', reading.id, reading.name);
    ds.resources.push(reading);

    spec.sections.forEach((title, i) => {
      const sectionnum = i + 1;
      const a = spec.assignments[i];
      if (a) ds.assigns.push(assignment(a, spec.id, cm(sectionnum, 'assign', ids.assign, a.name)));
      const q = spec.quizzes[i];
      if (q) {
        const quiz = { id: ids.quiz, course: spec.id, cmid: cm(sectionnum, 'quiz', ids.quiz, q.name), name: q.name, intro: `<p>${q.name}</p>`, timeopen: nowSec + q.openDays * DAY, timeclose: nowSec + q.closeDays * DAY, timelimit: i % 2 === 0 ? 1800 : 0, attempts: i % 2 === 0 ? 2 : 0, sumgrades: 10, grade: 10, timecreated: start, timemodified: start };
        ids.quiz++;
        ds.quizzes.push(quiz);
      }
      const slides = { id: ids.resource++, course: spec.id, cmid: 0, name: `Lecture slides: ${title}`, modname: 'resource' as const, target: `${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-slides.pdf` };
      slides.cmid = cm(sectionnum, 'resource', slides.id, slides.name);
      ds.resources.push(slides);
    });

    for (const a of ds.assigns.filter((x) => x.course === spec.id)) seedSubmissions(ds, ids, rnd, a, students, editor);
    for (const q of ds.quizzes.filter((x) => x.course === spec.id)) seedAttempts(ds, ids, rnd, q, students);
  }
  pinSeedStudents(ds, ids);
  appendLateStaff(ds, start);
  return ds;

  function assignment(a: { name: string; dueDays: number; grade: number }, courseid: number, cmid: number): Assign {
    const duedate = nowSec + a.dueDays * DAY;
    return { id: ids.assign++, course: courseid, cmid, name: a.name, intro: `<p>${a.name}. Submit one PDF or online text.</p>`, allowsubmissionsfromdate: duedate - 14 * DAY, duedate, cutoffdate: duedate + 7 * DAY, gradingduedate: duedate + 7 * DAY, grade: a.grade, timemodified: start };
  }
}

function user(s: { id: number; username: string; firstname: string; lastname: string }, city: string, firstaccess: number, lastaccess: number): User {
  return { ...s, email: `${s.username}@riverside.example.edu`, idnumber: s.id >= FIRST_STUDENT_ID ? `S${1000 + s.id}` : '', city, country: 'NO', firstaccess, lastaccess };
}

function course(s: { id: number; category: number; shortname: string; fullname: string; format: Course['format']; visible: 0 | 1 }, sortorder: number, start: number): Course {
  return { id: s.id, category: s.category, fullname: s.fullname, shortname: s.shortname, idnumber: s.format === 'site' ? '' : `${s.shortname}-2024`, summary: s.format === 'site' ? '' : `<p>${s.fullname}.</p>`, format: s.format, startdate: s.format === 'site' ? 0 : start, enddate: s.format === 'site' ? 0 : start + 120 * DAY, visible: s.visible, sortorder: 10000 + sortorder, timecreated: start - 30 * DAY, timemodified: start - 2 * DAY };
}

function enrol(userid: number, courseid: number, role: Enrolment['role'], timestart: number, lastcourseaccess: number): Enrolment {
  return { userid, courseid, role, timestart, lastcourseaccess };
}

type Ids = Record<'submission' | 'grade' | 'attempt' | 'uniqueid', number>;

function seedSubmissions(ds: Dataset, ids: Ids, rnd: Prng, a: Assign, students: number[], grader: number): void {
  const past = a.duedate < ds.now;
  for (const userid of students) {
    const r = rnd.next();
    let status: Submission['status'] | null;
    if (past) status = r < 0.08 ? null : r < 0.16 ? 'new' : r < 0.24 ? 'draft' : 'submitted';
    else status = r < 0.3 ? null : r < 0.5 ? 'new' : r < 0.75 ? 'draft' : 'submitted';
    if (!status) continue;
    const late = past && status === 'submitted' && rnd.next() < 0.15;
    const timemodified = Math.min(ds.now - 60, late ? a.duedate + rnd.int(1, 40) * HOUR : a.duedate - rnd.int(1, 96) * HOUR);
    ds.submissions.push({ id: ids.submission++, assignment: a.id, userid, status, timecreated: timemodified - rnd.int(1, 48) * HOUR, timemodified, timestarted: null, attemptnumber: 0, onlinetext: status === 'new' ? '' : `<p>Submission by user ${userid} for "${a.name}".</p>` });
    if (past && status === 'submitted' && rnd.next() < 0.7) {
      const graded = Math.min(ds.now - 60, timemodified + rnd.int(2, 72) * HOUR);
      ds.grades.push({ id: ids.grade++, assignment: a.id, userid, attemptnumber: 0, grade: Math.round(a.grade * (0.45 + 0.55 * rnd.next()) * 100) / 100, grader, timecreated: graded, timemodified: graded, feedback: `<p>${rnd.pick(FEEDBACK)}</p>`, feedbackformat: 1, workflowstate: '' });
    }
  }
}

function seedAttempts(ds: Dataset, ids: Ids, rnd: Prng, q: Dataset['quizzes'][number], students: number[]): void {
  if (q.timeopen > ds.now) return;
  const open = q.timeclose > ds.now;
  for (const userid of students) {
    const r = rnd.next();
    const add = (state: QuizAttempt['state'], attempt: number, timestart: number): void => {
      const finished = state === 'finished' || state === 'abandoned';
      const timefinish = finished ? Math.min(ds.now - 60, timestart + rnd.int(5, 28) * 60) : 0;
      ds.attempts.push({ id: ids.attempt++, quiz: q.id, userid, attempt, uniqueid: ids.uniqueid++, state, timestart, timefinish, timemodified: finished ? timefinish : Math.min(ds.now - 30, timestart + 300), timecheckstate: state === 'overdue' ? timestart + q.timelimit : state === 'inprogress' && q.timelimit ? timestart + q.timelimit : null, sumgrades: state === 'finished' ? rnd.int(30, 100) / 10 : null });
    };
    if (!open) {
      if (r < 0.15) continue;
      add(r < 0.2 ? 'abandoned' : 'finished', 1, q.timeopen + rnd.int(1, 6) * DAY);
      if (rnd.next() < 0.3) add('finished', 2, q.timeclose - rnd.int(2, 30) * HOUR);
    } else if (r < 0.35) continue;
    else if (r < 0.55) add('inprogress', 1, ds.now - rnd.int(5, 20) * 60);
    else if (r < 0.65) add('overdue', 1, ds.now - rnd.int(3, 20) * HOUR);
    else add('finished', 1, Math.max(q.timeopen, ds.now - rnd.int(2, 30) * HOUR));
  }
}

/**
 * Users and enrolments added after the first data set. They draw nothing from
 * the PRNG and come last, so every record built before keeps its id and values.
 */
function appendLateStaff(ds: Dataset, start: number): void {
  for (const s of LATE_STAFF) {
    ds.users.push(user({ id: s.id, username: s.username, firstname: s.firstname, lastname: s.lastname }, s.city, start - 30 * DAY, ds.now - 3 * HOUR));
    for (const [courseid, role] of s.courses) ds.enrolments.push(enrol(s.id, courseid, role, start + DAY, ds.now - 5 * HOUR));
  }
}

/**
 * Fixes the states of the first assignment and the open quiz of course 2 for
 * students 10–14, so tests can rely on them whatever the PRNG drew.
 */
function pinSeedStudents(ds: Dataset, ids: Ids): void {
  const a = ds.assigns.find((x) => x.id === 1)!;
  const states: [number, Submission['status'] | null, 'ontime' | 'late', boolean][] = [
    [10, 'submitted', 'ontime', false],
    [11, 'submitted', 'ontime', true],
    [12, 'submitted', 'late', false],
    [13, 'draft', 'ontime', false],
    [14, 'new', 'ontime', false],
  ];
  for (const [userid, status, when, graded] of states) {
    ds.submissions = ds.submissions.filter((s) => !(s.assignment === a.id && s.userid === userid));
    ds.grades = ds.grades.filter((g) => !(g.assignment === a.id && g.userid === userid));
    const timemodified = when === 'late' ? a.duedate + 5 * HOUR : a.duedate - 20 * HOUR;
    ds.submissions.push({ id: ids.submission++, assignment: a.id, userid, status: status!, timecreated: timemodified - 2 * DAY, timemodified, timestarted: null, attemptnumber: 0, onlinetext: status === 'new' ? '' : `<p>Submission by user ${userid} for "${a.name}".</p>` });
    if (graded) ds.grades.push({ id: ids.grade++, assignment: a.id, userid, attemptnumber: 0, grade: 78, grader: 3, timecreated: a.duedate + DAY, timemodified: a.duedate + DAY, feedback: '<p>Clear method; discuss the control group.</p>', feedbackformat: 1, workflowstate: '' });
  }
  const quiz = ds.quizzes.find((q) => q.id === 2)!;
  const pinned: [number, QuizAttempt['state']][] = [[10, 'inprogress'], [11, 'finished'], [12, 'overdue']];
  for (const [userid, state] of pinned) {
    ds.attempts = ds.attempts.filter((t) => !(t.quiz === quiz.id && t.userid === userid));
    const timestart = state === 'overdue' ? ds.now - 3 * HOUR : ds.now - 15 * 60;
    ds.attempts.push({ id: ids.attempt++, quiz: quiz.id, userid, attempt: 1, uniqueid: ids.uniqueid++, state, timestart, timefinish: state === 'finished' ? ds.now - 5 * 60 : 0, timemodified: ds.now - 5 * 60, timecheckstate: state === 'overdue' ? timestart + HOUR : null, sumgrades: state === 'finished' ? 8.5 : null });
  }
}
