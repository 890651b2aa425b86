/**
 * mod_quiz_get_quizzes_by_courses, mod_quiz_get_user_attempts (deprecated in
 * 4.5) and mod_quiz_get_user_quiz_attempts (its 4.5 replacement, same
 * parameters and answer; it would also return "notstarted" attempts, which the
 * seeded data does not contain).
 */
import { invalidParameter } from '../errors.js';
import { defaultValue, multiple, params, value } from '../params/schema.js';
import type { Quiz } from '../data/types.js';
import { read, type CallContext, type Params, type Warning, type WsFunction } from './registry.js';

function quizEntry(ctx: CallContext, q: Quiz): Record<string, unknown> {
  const manage = ctx.access.has('moodle/course:update', q.course);
  const section = ctx.store.data.sections.find((s) => s.cmids.includes(q.cmid))!;
  const e: Record<string, unknown> = {
    id: q.id,
    course: q.course,
    coursemodule: q.cmid,
    name: q.name,
    intro: q.intro,
    introformat: 1,
    introfiles: [],
    lang: '',
    timeopen: q.timeopen,
    timeclose: q.timeclose,
    timelimit: q.timelimit,
  };
  if (manage) Object.assign(e, { overduehandling: 'autosubmit', graceperiod: 0 });
  Object.assign(e, { preferredbehaviour: 'deferredfeedback' });
  if (manage) e.canredoquestions = 0;
  Object.assign(e, { attempts: q.attempts });
  if (manage) e.attemptonlast = 0;
  Object.assign(e, { grademethod: 1, decimalpoints: 2, questiondecimalpoints: -1 });
  if (manage) {
    Object.assign(e, {
      reviewattempt: 69904,
      reviewcorrectness: 4368,
      reviewmarks: 4368,
      reviewspecificfeedback: 4368,
      reviewgeneralfeedback: 4368,
      reviewrightanswer: 4368,
      reviewoverallfeedback: 4368,
      questionsperpage: 1,
      navmethod: 'free',
      shuffleanswers: 1,
    });
  }
  Object.assign(e, { sumgrades: q.sumgrades, grade: q.grade });
  if (manage) {
    Object.assign(e, {
      timecreated: q.timecreated,
      timemodified: q.timemodified,
      password: '',
      subnet: '',
      browsersecurity: '-',
      delay1: 0,
      delay2: 0,
      showuserpicture: 0,
      showblocks: 0,
      completionattemptsexhausted: 0,
      completionpass: 0,
      allowofflineattempts: 0,
      autosaveperiod: 60,
    });
  }
  Object.assign(e, { hasfeedback: 0, hasquestions: 1, section: section.section, visible: 1, groupmode: 0, groupingid: 0 });
  return e;
}

export const getQuizzesByCourses: WsFunction = {
  name: 'mod_quiz_get_quizzes_by_courses',
  params: params({ courseids: multiple(value('int'), 'default') }),
  handler(ctx, p) {
    const warnings: Warning[] = [];
    let ids = [...new Set(read.ints(p, 'courseids'))];
    if (ids.length === 0) ids = ctx.store.coursesOfUser(ctx.access.userid).map((c) => c.id);
    const courses: number[] = [];
    for (const id of ids) {
      if (ctx.store.course(id) && ctx.access.canEnter(id)) courses.push(id);
      else warnings.push({ item: 'course', itemid: id, warningcode: '1', message: 'No access rights in course context' });
    }
    const quizzes = ctx.store.data.quizzes.filter((q) => courses.includes(q.course) && ctx.access.has('mod/quiz:view', q.course)).map((q) => quizEntry(ctx, q));
    return { quizzes, warnings };
  },
};

const STATUS_STATES: Record<string, string[] | null> = {
  all: null,
  finished: ['finished', 'abandoned'],
  unfinished: ['inprogress', 'overdue'],
};

function userAttempts(ctx: CallContext, p: Params): unknown {
  const quiz = ctx.store.mustQuiz(read.int(p, 'quizid'));
  ctx.access.validateCourse(quiz.course);
  const status = read.str(p, 'status');
  if (!(status in STATUS_STATES)) throw invalidParameter('Invalid status value');
  const userid = read.int(p, 'userid') || ctx.access.userid;
  ctx.store.mustUser(userid);
  if (userid !== ctx.access.userid) ctx.access.require('mod/quiz:viewreports', quiz.course);
  const states = STATUS_STATES[status];
  const attempts = ctx.store.data.attempts
    .filter((t) => t.quiz === quiz.id && t.userid === userid && (!states || states.includes(t.state)))
    .sort((a, b) => a.attempt - b.attempt)
    .map((t) => ({
      id: t.id,
      quiz: t.quiz,
      userid: t.userid,
      attempt: t.attempt,
      uniqueid: t.uniqueid,
      layout: '1,0,2,0,3,0,4,0,5,0',
      currentpage: 0,
      preview: 0,
      state: t.state,
      timestart: t.timestart,
      timefinish: t.timefinish,
      timemodified: t.timemodified,
      timemodifiedoffline: 0,
      timecheckstate: t.timecheckstate,
      sumgrades: t.sumgrades,
      gradednotificationsenttime: t.state === 'finished' ? t.timefinish : null,
    }));
  return { attempts, warnings: [] };
}

const attemptParams = params({
  quizid: value('int'),
  userid: defaultValue('int', 0),
  status: defaultValue('alpha', 'finished'),
  includepreviews: defaultValue('bool', false),
});

export const getUserAttempts: WsFunction = { name: 'mod_quiz_get_user_attempts', params: attemptParams, handler: userAttempts };
export const getUserQuizAttempts: WsFunction = { name: 'mod_quiz_get_user_quiz_attempts', params: attemptParams, handler: userAttempts };
