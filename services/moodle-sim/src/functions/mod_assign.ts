/**
 * mod_assign_get_assignments, _get_submissions, _get_grades and _save_grade
 * (mod/assign/externallib.php). Quirks kept: access problems in the read
 * functions become warnings (warningcode "1"), not exceptions; unknown
 * assignment ids are silently skipped by get_submissions and reported as
 * "No grades found" (code "3") by get_grades; grades are strings with five
 * decimals; save_grade answers null.
 */
import { defaultValue, multiple, optionalValue, params, single, value } from '../params/schema.js';
import type { Assign, Submission } from '../data/types.js';
import { read, type CallContext, type Params, type Warning, type WsFunction } from './registry.js';

const ASSIGN_CONFIGS = [
  { plugin: 'onlinetext', subtype: 'assignsubmission', name: 'enabled', value: '1' },
  { plugin: 'onlinetext', subtype: 'assignsubmission', name: 'wordlimit', value: '0' },
  { plugin: 'file', subtype: 'assignsubmission', name: 'enabled', value: '1' },
  { plugin: 'file', subtype: 'assignsubmission', name: 'maxfilesubmissions', value: '1' },
  { plugin: 'comments', subtype: 'assignsubmission', name: 'enabled', value: '1' },
  { plugin: 'comments', subtype: 'assignfeedback', name: 'enabled', value: '1' },
];

function assignmentEntry(a: Assign): Record<string, unknown> {
  return {
    id: a.id,
    cmid: a.cmid,
    course: a.course,
    name: a.name,
    nosubmissions: 0,
    submissiondrafts: 1,
    sendnotifications: 0,
    sendlatenotifications: 0,
    sendstudentnotifications: 1,
    duedate: a.duedate,
    allowsubmissionsfromdate: a.allowsubmissionsfromdate,
    grade: a.grade,
    timemodified: a.timemodified,
    completionsubmit: 1,
    cutoffdate: a.cutoffdate,
    gradingduedate: a.gradingduedate,
    teamsubmission: 0,
    requireallteammemberssubmit: 0,
    teamsubmissiongroupingid: 0,
    blindmarking: 0,
    hidegrader: 0,
    revealidentities: 0,
    attemptreopenmethod: 'untilpass',
    maxattempts: -1,
    markingworkflow: 0,
    markingallocation: 0,
    markinganonymous: 0,
    requiresubmissionstatement: 0,
    preventsubmissionnotingroup: 0,
    configs: ASSIGN_CONFIGS,
    intro: a.intro,
    introformat: 1,
    introfiles: [],
    introattachments: [],
    timelimit: 0,
    submissionattachments: 0,
  };
}

export const getAssignments: WsFunction = {
  name: 'mod_assign_get_assignments',
  params: params({
    courseids: multiple(value('int'), 'default'),
    capabilities: multiple(value('capability'), 'default'),
    includenotenrolledcourses: defaultValue('bool', false),
  }),
  handler(ctx, p) {
    const requested = read.ints(p, 'courseids');
    const caps = (p.capabilities as string[]) ?? [];
    const warnings: Warning[] = [];
    let courses = ctx.store.coursesOfUser(ctx.access.userid);
    if (read.bool(p, 'includenotenrolledcourses')) {
      for (const id of requested) {
        const c = ctx.store.course(id);
        if (c && !courses.includes(c) && ctx.access.canEnter(id)) courses.push(c);
      }
    }
    for (const id of requested) {
      if (!courses.some((c) => c.id === id)) {
        warnings.push({ item: 'course', itemid: id, warningcode: '2', message: 'User is not enrolled or does not have requested capability' });
      }
    }
    if (requested.length > 0) courses = courses.filter((c) => requested.includes(c.id));
    courses = courses.filter((c) => ctx.access.canEnter(c.id) && caps.every((cap) => ctx.access.has(cap, c.id)));
    const out = courses.map((c) => {
      const assignments: Record<string, unknown>[] = [];
      for (const a of ctx.store.data.assigns.filter((x) => x.course === c.id)) {
        if (!ctx.access.has('mod/assign:view', c.id)) {
          warnings.push({ item: 'module', itemid: a.cmid, warningcode: '1', message: 'No access rights in module context' });
          continue;
        }
        assignments.push(assignmentEntry(a));
      }
      return { id: c.id, fullname: c.fullname, shortname: c.shortname, timemodified: c.timemodified, assignments };
    });
    return { courses: out, warnings };
  },
};

/** Assignments behind the requested ids, in course-module order; unknown ids are dropped (the SQL simply finds no row). */
function assignsById(ctx: CallContext, ids: number[]): Assign[] {
  return ctx.store.data.assigns.filter((a) => ids.includes(a.id)).sort((a, b) => a.cmid - b.cmid);
}

function submissionPlugins(s: Submission): Record<string, unknown>[] {
  return [
    {
      type: 'onlinetext',
      name: 'Online text',
      fileareas: [{ area: 'submissions_onlinetext', files: [] }],
      editorfields: [{ name: 'onlinetext', description: 'Online text', text: s.onlinetext, format: 1 }],
    },
    { type: 'file', name: 'File submissions', fileareas: [{ area: 'submission_files', files: [] }] },
    { type: 'comments', name: 'Submission comments' },
  ];
}

export const getSubmissions: WsFunction = {
  name: 'mod_assign_get_submissions',
  params: params({
    assignmentids: multiple(value('int')),
    status: defaultValue('alpha', ''),
    since: defaultValue('int', 0),
    before: defaultValue('int', 0),
  }),
  handler(ctx, p) {
    const warnings: Warning[] = [];
    const visible: Assign[] = [];
    for (const a of assignsById(ctx, read.ints(p, 'assignmentids'))) {
      const ok = ctx.access.canEnter(a.course) && (ctx.access.has('mod/assign:viewgrades', a.course) || ctx.access.has('mod/assign:grade', a.course));
      if (ok) visible.push(a);
      else warnings.push({ item: 'assignment', itemid: a.id, warningcode: '1', message: 'No access rights in module context' });
    }
    const status = read.str(p, 'status');
    const since = read.int(p, 'since');
    const before = read.int(p, 'before');
    const assignments = visible.map((a) => {
      const latest = new Map<number, Submission>();
      for (const s of ctx.store.data.submissions.filter((x) => x.assignment === a.id)) {
        const cur = latest.get(s.userid);
        if (!cur || s.attemptnumber > cur.attemptnumber) latest.set(s.userid, s);
      }
      const rows = [...latest.values()]
        .filter((s) => (status === '' || s.status === status) && (before ? s.timemodified >= since && s.timemodified <= before : s.timemodified >= since))
        .sort((x, y) => x.id - y.id);
      if (rows.length === 0) warnings.push({ item: 'module', itemid: a.id, warningcode: '3', message: 'No submissions found' });
      return {
        assignmentid: a.id,
        submissions: rows.map((s) => ({
          id: s.id,
          userid: s.userid,
          attemptnumber: s.attemptnumber,
          timecreated: s.timecreated,
          timemodified: s.timemodified,
          timestarted: s.timestarted,
          status: s.status,
          groupid: 0,
          plugins: submissionPlugins(s),
          gradingstatus: ctx.store.gradingStatus(a.id, s.userid),
        })),
      };
    });
    return { assignments, warnings };
  },
};

export const getGrades: WsFunction = {
  name: 'mod_assign_get_grades',
  params: params({ assignmentids: multiple(value('int')), since: defaultValue('int', 0) }),
  handler(ctx, p) {
    const warnings: Warning[] = [];
    let requested = read.ints(p, 'assignmentids');
    for (const a of assignsById(ctx, requested)) {
      // assign::require_view_grades(): mod/assign:viewgrades or mod/assign:grade.
      if (!ctx.access.canEnter(a.course) || !(ctx.access.has('mod/assign:viewgrades', a.course) || ctx.access.has('mod/assign:grade', a.course))) {
        requested = requested.filter((id) => id !== a.id);
        warnings.push({ item: 'assignment', itemid: a.id, warningcode: '1', message: 'No access rights in module context' });
      }
    }
    const since = read.int(p, 'since');
    const rows = ctx.store.data.grades
      .filter((g) => requested.includes(g.assignment) && g.timemodified >= since)
      .filter((g) => ctx.store.latestSubmission(g.assignment, g.userid)?.attemptnumber === g.attemptnumber)
      .sort((x, y) => x.assignment - y.assignment || x.id - y.id);
    const assignments: { assignmentid: number; grades: Record<string, unknown>[] }[] = [];
    for (const g of rows) {
      let entry = assignments.find((e) => e.assignmentid === g.assignment);
      if (!entry) {
        entry = { assignmentid: g.assignment, grades: [] };
        assignments.push(entry);
      }
      entry.grades.push({ id: g.id, assignment: g.assignment, userid: g.userid, attemptnumber: g.attemptnumber, timecreated: g.timecreated, timemodified: g.timemodified, grader: g.grader, grade: g.grade.toFixed(5) });
    }
    for (const id of requested) {
      if (!assignments.some((e) => e.assignmentid === id)) warnings.push({ item: 'assignment', itemid: id, warningcode: '3', message: 'No grades found' });
    }
    return { assignments, warnings };
  },
};

// Advanced grading fillings (gradingform_rubric / gradingform_guide get_external_instance_filling_details, minus 'id').
const criteria = (filling: Record<string, ReturnType<typeof optionalValue> | ReturnType<typeof value>>) =>
  single({ criteria: multiple(single({ criterionid: value('int'), fillings: multiple(single(filling), 'optional') })) }, 'optional');

export const saveGrade: WsFunction = {
  name: 'mod_assign_save_grade',
  params: params({
    assignmentid: value('int'),
    userid: value('int'),
    grade: value('float'),
    attemptnumber: value('int'),
    addattempt: value('bool'),
    workflowstate: value('alpha'),
    applytoall: value('bool'),
    plugindata: single(
      {
        assignfeedbackcomments_editor: single({ text: value('raw'), format: value('int') }, 'optional'),
        files_filemanager: optionalValue('int'),
      },
      'default',
    ),
    advancedgradingdata: single(
      {
        guide: criteria({ criterionid: value('int'), levelid: optionalValue('int'), remark: optionalValue('raw'), remarkformat: optionalValue('int'), score: value('float') }),
        rubric: criteria({ criterionid: value('int'), levelid: optionalValue('int'), remark: optionalValue('raw'), remarkformat: optionalValue('int') }),
      },
      'default',
    ),
  }),
  handler(ctx, p) {
    const a = ctx.store.mustAssign(read.int(p, 'assignmentid'));
    ctx.access.validateCourse(a.course);
    ctx.access.require('mod/assign:grade', a.course);
    const editor = read.obj(p, 'plugindata').assignfeedbackcomments_editor as Params | undefined;
    ctx.store.saveGrade({
      assignmentid: a.id,
      userid: read.int(p, 'userid'),
      grade: read.float(p, 'grade'),
      attemptnumber: read.int(p, 'attemptnumber'),
      workflowstate: read.str(p, 'workflowstate'),
      feedback: editor ? { text: String(editor.text), format: Number(editor.format) } : undefined,
      grader: ctx.access.userid,
    });
    return null;
  },
};
