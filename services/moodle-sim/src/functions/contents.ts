/**
 * core_course_get_contents: sections with their course modules, shaped like
 * Moodle 4.x answers (modules carry url, modname, instance, contextid,
 * completion, dates; resources and urls carry `contents`).
 */
import type { Course, CourseModule } from '../data/types.js';
import type { CallContext } from './registry.js';

const MOD_PLURAL: Record<CourseModule['modname'], string> = {
  assign: 'Assignments',
  quiz: 'Quizzes',
  forum: 'Forums',
  resource: 'Files',
  url: 'URLs',
};

const PURPOSE: Record<CourseModule['modname'], string> = {
  assign: 'assessment',
  quiz: 'assessment',
  forum: 'collaboration',
  resource: 'content',
  url: 'content',
};

/** Context ids: the sim numbers module contexts 1000 + cmid. */
export const moduleContextId = (cmid: number): number => 1000 + cmid;

function dates(ctx: CallContext, cm: CourseModule): { label: string; timestamp: number; dataid: string }[] {
  if (cm.modname === 'assign') {
    const a = ctx.store.data.assigns.find((x) => x.id === cm.instance)!;
    return [
      { label: 'Opened:', timestamp: a.allowsubmissionsfromdate, dataid: 'allowsubmissionsfromdate' },
      { label: 'Due:', timestamp: a.duedate, dataid: 'duedate' },
    ];
  }
  if (cm.modname === 'quiz') {
    const q = ctx.store.data.quizzes.find((x) => x.id === cm.instance)!;
    return [
      { label: q.timeopen > ctx.store.clock() ? 'Opens:' : 'Opened:', timestamp: q.timeopen, dataid: 'timeopen' },
      { label: q.timeclose > ctx.store.clock() ? 'Closes:' : 'Closed:', timestamp: q.timeclose, dataid: 'timeclose' },
    ];
  }
  return [];
}

function contents(ctx: CallContext, cm: CourseModule): Record<string, unknown>[] | undefined {
  const r = ctx.store.data.resources.find((x) => x.cmid === cm.id);
  if (!r) return undefined;
  if (r.modname === 'url') {
    return [{ type: 'url', filename: r.name, filepath: null, filesize: 0, fileurl: r.target, timecreated: null, timemodified: cm.added, sortorder: null, userid: null, author: null, license: null }];
  }
  return [
    {
      type: 'file',
      filename: r.target,
      filepath: '/',
      filesize: 245760 + r.id * 1024,
      fileurl: `${ctx.wwwroot}/webservice/pluginfile.php/${moduleContextId(cm.id)}/mod_resource/content/1/${r.target}?forcedownload=1`,
      timecreated: cm.added,
      timemodified: cm.added,
      sortorder: 1,
      mimetype: 'application/pdf',
      isexternalfile: false,
      userid: 3,
      author: 'Tessa Lindqvist',
      license: 'allrightsreserved',
    },
  ];
}

function moduleEntry(ctx: CallContext, cm: CourseModule, excludeContents: boolean): Record<string, unknown> {
  const m: Record<string, unknown> = {
    id: cm.id,
    url: `${ctx.wwwroot}/mod/${cm.modname}/view.php?id=${cm.id}`,
    name: cm.name,
    instance: cm.instance,
    contextid: moduleContextId(cm.id),
    visible: cm.visible,
    uservisible: true,
    visibleoncoursepage: 1,
    modicon: `${ctx.wwwroot}/theme/image.php/boost/${cm.modname}/1/monologo?filtericon=1`,
    modname: cm.modname,
    purpose: PURPOSE[cm.modname],
    branded: false,
    modplural: MOD_PLURAL[cm.modname],
    availability: null,
    indent: 0,
    onclick: '',
    afterlink: null,
    customdata: cm.modname === 'assign' ? JSON.stringify({ duedate: dates(ctx, cm)[1]?.timestamp }) : '""',
    noviewlink: false,
    completion: cm.modname === 'resource' || cm.modname === 'url' ? 2 : 1,
    downloadcontent: 1,
    dates: dates(ctx, cm),
    groupmode: 0,
  };
  const c = excludeContents ? undefined : contents(ctx, cm);
  if (c) {
    m.contents = c;
    m.contentsinfo = { filescount: c.length, filessize: c.reduce((n, f) => n + Number(f.filesize ?? 0), 0), lastmodified: cm.added, mimetypes: c[0]?.mimetype ? [c[0].mimetype] : [], repositorytype: '' };
  }
  return m;
}

/** Supported options: excludemodules, excludecontents, sectionid, sectionnumber, cmid, modname, modid. */
export function courseContents(ctx: CallContext, course: Course, options: Record<string, string>): Record<string, unknown>[] {
  const excludeModules = options.excludemodules === '1' || options.excludemodules === 'true';
  const excludeContents = options.excludecontents === '1' || options.excludecontents === 'true';
  let sections = ctx.store.data.sections.filter((s) => s.course === course.id);
  if (options.sectionid !== undefined) sections = sections.filter((s) => String(s.id) === options.sectionid);
  if (options.sectionnumber !== undefined) sections = sections.filter((s) => String(s.section) === options.sectionnumber);
  return sections.map((s) => {
    let cms = s.cmids.map((id) => ctx.store.data.cms.find((c) => c.id === id)!);
    if (options.cmid !== undefined) cms = cms.filter((c) => String(c.id) === options.cmid);
    if (options.modname !== undefined) cms = cms.filter((c) => c.modname === options.modname && (options.modid === undefined || String(c.instance) === options.modid));
    return {
      id: s.id,
      name: s.name || (s.section === 0 ? 'General' : `Topic ${s.section}`),
      visible: 1,
      summary: s.summary,
      summaryformat: 1,
      section: s.section,
      hiddenbynumsections: 0,
      uservisible: true,
      component: null,
      itemid: null,
      modules: excludeModules ? [] : cms.map((c) => moduleEntry(ctx, c, excludeContents)),
    };
  });
}
