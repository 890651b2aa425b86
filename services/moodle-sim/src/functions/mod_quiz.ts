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

/**
 * One quiz as get_quizzes_by_courses exports it (mod/quiz/classes/external.php,
 * 4.5), keys in the order of its returns description:
 * - the standard course-module fields (helper_for_get_mods_by_courses, checked
 *   with mod/quiz:view): `visible` is PARAM_BOOL, so JSON true/false;
 * - with mod/quiz:view, the viewable fields (dates, attempts, grades, ...);
 * - while access_manager::prevent_access() is false, i.e. the quiz is open
 *   now (its open/close rule applies to teachers too): the review, navigation
 *   and completion settings, hasquestions and autosaveperiod;
 * - with moodle/course:manageactivities (editing teachers): shuffleanswers,
 *   timecreated, timemodified, password, subnet.
 */
function quizEntry(ctx: CallContext, q: Quiz): Record<string, unknown> {
  const now = ctx.store.clock();
  const open = (q.timeopen === 0 || q.timeopen <= now) && (q.timeclose === 0 || now < q.timeclose);
  const manage = ctx.access.has('moodle/course:manageactivities', q.course);
  const section = ctx.store.data.sections.find((s) => s.cmids.includes(q.cmid))!;
  const fields: Record<string, unknown> = {
    id: q.id,
    coursemodule: q.cmid,
    course: q.course,
    name: q.name,
    intro: q.intro,
    introformat: 1,
    introfiles: [],
    section: section.section,
    visible: true,
    groupmode: 0,
    groupingid: 0,
    lang: '',
    timeopen: q.timeopen,
    timeclose: q.timeclose,
    timelimit: q.timelimit,
  };
  // Description order; the tag says who gets the key.
  const rest: [string, unknown, 'view' | 'open' | 'manage'][] = [
    ['overduehandling', 'autosubmit', 'open'],
    ['graceperiod', 0, 'open'],
    ['preferredbehaviour', 'deferredfeedback', 'view'],
    ['canredoquestions', 0, 'open'],
    ['attempts', q.attempts, 'view'],
    ['attemptonlast', 0, 'open'],
    ['grademethod', 1, 'view'],
    ['decimalpoints', 2, 'view'],
    ['questiondecimalpoints', -1, 'view'],
    ['reviewattempt', 69904, 'open'],
    ['reviewcorrectness', 4368, 'open'],
    ['reviewmaxmarks', 4368, 'open'],
    ['reviewmarks', 4368, 'open'],
    ['reviewspecificfeedback', 4368, 'open'],
    ['reviewgeneralfeedback', 4368, 'open'],
    ['reviewrightanswer', 4368, 'open'],
    ['reviewoverallfeedback', 4368, 'open'],
    ['questionsperpage', 1, 'open'],
    ['navmethod', 'free', 'open'],
    ['shuffleanswers', 1, 'manage'],
    ['sumgrades', q.sumgrades, 'view'],
    ['grade', q.grade, 'view'],
    ['timecreated', q.timecreated, 'manage'],
    ['timemodified', q.timemodified, 'manage'],
    ['password', '', 'manage'],
    ['subnet', '', 'manage'],
    ['browsersecurity', '-', 'open'],
    ['delay1', 0, 'open'],
    ['delay2', 0, 'open'],
    ['showuserpicture', 0, 'open'],
    ['showblocks', 0, 'open'],
    ['completionattemptsexhausted', 0, 'open'],
    ['completionpass', 0, 'open'],
    ['allowofflineattempts', 0, 'open'],
    ['autosaveperiod', 60, 'open'],
    ['hasfeedback', 0, 'view'],
    ['hasquestions', 1, 'open'],
  ];
  for (const [key, val, need] of rest) {
    if (need === 'view' || (need === 'open' && open) || (need === 'manage' && manage)) fields[key] = val;
  }
  return fields;
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
