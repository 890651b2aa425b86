/**
 * gradereport_user_get_grade_items (grade/report/user/classes/external/user.php):
 * the user report's items for one or all students of a course. Assignment
 * items read the live assignment grades and feedback, so a save_grade shows
 * up here; the course total is the natural sum of the items.
 */
import { plainMoodleException } from '../errors.js';
import { defaultValue, params, value } from '../params/schema.js';
import type { Course, User } from '../data/types.js';
import { read, type CallContext, type WsFunction } from './registry.js';

interface Row {
  id: number;
  itemname: string | null;
  itemtype: 'mod' | 'course';
  itemmodule: string | null;
  iteminstance: number;
  cmid?: number;
  grademax: number;
  graderaw: number | null;
  submitted: number | null;
  graded: number | null;
  feedback: string;
}

const fmt = (n: number): string => n.toFixed(2);

function rowsFor(ctx: CallContext, course: Course, user: User): Row[] {
  const rows: Row[] = [];
  const cms = ctx.store.data.cms.filter((c) => c.course === course.id && (c.modname === 'assign' || c.modname === 'quiz')).sort((a, b) => a.id - b.id);
  for (const cm of cms) {
    if (cm.modname === 'assign') {
      const a = ctx.store.data.assigns.find((x) => x.id === cm.instance)!;
      const g = ctx.store.currentGrade(a.id, user.id);
      const s = ctx.store.latestSubmission(a.id, user.id);
      rows.push({ id: 1000 + cm.id, itemname: a.name, itemtype: 'mod', itemmodule: 'assign', iteminstance: a.id, cmid: cm.id, grademax: a.grade, graderaw: g && g.grade >= 0 ? g.grade : null, submitted: s?.status === 'submitted' ? s.timemodified : null, graded: g && g.grade >= 0 ? g.timemodified : null, feedback: g?.feedback ?? '' });
    } else {
      const q = ctx.store.data.quizzes.find((x) => x.id === cm.instance)!;
      const best = ctx.store.data.attempts
        .filter((t) => t.quiz === q.id && t.userid === user.id && t.state === 'finished' && t.sumgrades !== null)
        .sort((a, b) => (b.sumgrades ?? 0) - (a.sumgrades ?? 0))[0];
      const grade = best ? Math.round(((best.sumgrades ?? 0) / q.sumgrades) * q.grade * 100000) / 100000 : null;
      rows.push({ id: 1000 + cm.id, itemname: q.name, itemtype: 'mod', itemmodule: 'quiz', iteminstance: q.id, cmid: cm.id, grademax: q.grade, graderaw: grade, submitted: best?.timefinish ?? null, graded: best?.timefinish ?? null, feedback: '' });
    }
  }
  const graded = rows.filter((r) => r.graderaw !== null);
  const total = graded.length ? graded.reduce((n, r) => n + (r.graderaw ?? 0), 0) : null;
  rows.push({ id: course.id * 10, itemname: null, itemtype: 'course', itemmodule: null, iteminstance: course.id, grademax: rows.reduce((n, r) => n + r.grademax, 0), graderaw: total, submitted: null, graded: null, feedback: '' });
  return rows;
}

function itemEntry(r: Row, weightBase: number, categoryid: number): Record<string, unknown> {
  const e: Record<string, unknown> = {
    id: r.id,
    itemname: r.itemname,
    itemtype: r.itemtype,
    itemmodule: r.itemmodule,
    iteminstance: r.iteminstance,
    itemnumber: r.itemtype === 'course' ? null : 0,
    idnumber: '',
    categoryid: r.itemtype === 'course' ? null : categoryid,
    outcomeid: null,
    scaleid: null,
    locked: false,
  };
  if (r.cmid !== undefined) e.cmid = r.cmid;
  const weight = r.itemtype === 'course' ? null : weightBase > 0 ? r.grademax / weightBase : 0;
  Object.assign(e, {
    weightraw: weight,
    weightformatted: weight === null ? '-' : `${fmt(weight * 100)} %`,
    graderaw: r.graderaw,
    gradedatesubmitted: r.submitted,
    gradedategraded: r.graded,
    gradehiddenbydate: false,
    gradeneedsupdate: false,
    gradeishidden: false,
    gradeislocked: false,
    gradeisoverridden: false,
    gradeformatted: r.graderaw === null ? '-' : fmt(r.graderaw),
    grademin: 0,
    grademax: r.grademax,
    rangeformatted: `0&ndash;${r.grademax}`,
    percentageformatted: r.graderaw === null ? '-' : `${fmt((r.graderaw / r.grademax) * 100)} %`,
    feedback: r.feedback,
    feedbackformat: 1,
  });
  return e;
}

export const getGradeItems: WsFunction = {
  name: 'gradereport_user_get_grade_items',
  params: params({ courseid: value('int'), userid: defaultValue('int', 0), groupid: defaultValue('int', 0) }),
  handler(ctx, p) {
    const course = ctx.store.mustCourse(read.int(p, 'courseid'));
    ctx.access.validateCourse(course.id);
    ctx.access.require('gradereport/user:view', course.id);
    const userid = read.int(p, 'userid');
    let users: User[];
    if (userid === 0) {
      ctx.access.require('moodle/grade:viewall', course.id);
      users = ctx.store
        .enrolmentsOfCourse(course.id)
        .filter((e) => e.role === 'student')
        .map((e) => ctx.store.user(e.userid)!);
    } else {
      const user = ctx.store.mustUser(userid);
      const own = userid === ctx.access.userid && ctx.access.has('moodle/grade:view', course.id);
      if (!ctx.access.has('moodle/grade:viewall', course.id) && !own) throw plainMoodleException('nopermissiontoviewgrades', 'Can not view grades.');
      users = [user];
    }
    const usergrades = users.map((u) => {
      const rows = rowsFor(ctx, course, u);
      const base = rows.filter((r) => r.itemtype === 'mod').reduce((n, r) => n + r.grademax, 0);
      return {
        courseid: course.id,
        courseidnumber: course.idnumber,
        userid: u.id,
        userfullname: `${u.firstname} ${u.lastname}`,
        useridnumber: u.idnumber,
        maxdepth: 2,
        gradeitems: rows.map((r) => itemEntry(r, base, course.id)),
      };
    });
    return { usergrades, warnings: [] };
  },
};
