import { z } from 'zod';
import { courseIdArg, resolveCourseId } from './args.js';
import { flag } from './convert.js';
import { defineTool } from './define.js';
import { perObject } from './memo.js';
import { htmlToText, SUMMARY_MAX_CHARS } from './html.js';
import { indent, plural, renderList } from './render.js';

/** The fields of core_course_get_contents this tool reads (one entry per section). */
interface RawSection {
  id: number;
  name?: string;
  section?: number;
  visible?: number | boolean;
  summary?: string;
  modules?: RawModule[];
}
interface RawModule {
  id: number;
  name?: string;
  instance?: number;
  modname?: string;
  visible?: number | boolean;
  url?: string;
  description?: string;
}

const moduleSchema = z.object({
  cmid: z.number().int().describe('Course module id (identifies the activity on the course page).'),
  instanceId: z.number().int().nullable().describe('Id of the activity itself: the assignmentId for an assign, quizId for a quiz, forumId for a forum.'),
  type: z.string().describe('Module type: assign, quiz, forum, resource, page, url, label, ...'),
  name: z.string(),
  visible: z.boolean().nullable(),
  url: z.string().nullable(),
  description: z.string().nullable().describe('Description as plain text, shortened; null when Moodle shows none.'),
});

const sectionSchema = z.object({
  id: z.number().int(),
  number: z.number().int().nullable().describe('Section number: 0 is the general section at the top.'),
  name: z.string(),
  visible: z.boolean().nullable(),
  summary: z.string().describe('Section summary as plain text, shortened.'),
  modules: z.array(moduleSchema),
});

const input = z.object({
  courseId: courseIdArg,
  moduleType: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/)
    .max(40)
    .optional()
    .describe('Only activities of this module type, e.g. "assign", "quiz" or "forum". Omit for all.'),
  sectionNumber: z.number().int().min(0).optional().describe('Only this section (0 = the general section). Omit for all sections.'),
});

/** One item of Moodle's answer, converted once per answer object (perObject). */
const toSection = perObject((s: RawSection) => ({
  id: s.id,
  number: s.section ?? null,
  name: s.name ?? '',
  visible: flag(s.visible),
  summary: htmlToText(s.summary, SUMMARY_MAX_CHARS),
  modules: (s.modules ?? []).map((m) => ({
    cmid: m.id,
    instanceId: m.instance ?? null,
    type: m.modname ?? '',
    name: m.name ?? '',
    visible: flag(m.visible),
    url: m.url ?? null,
    description: m.description ? htmlToText(m.description, SUMMARY_MAX_CHARS) : null,
  })),
}));

export const getCourseContents = defineTool({
  name: 'get_course_contents',
  title: 'Course sections and activities',
  description:
    "Returns a course's sections in order with the activities and resources in each (assignments, quizzes, forums, files, pages...), " +
    'each with its module type, name, visibility, course module id (cmid) and instanceId. ' +
    'Use it to see how a course is organised or to find an activity; the instanceId is the assignmentId/quizId/forumId other tools take. ' +
    'Needs a courseId (from get_courses or search_courses) unless the server has a default course.',
  inputSchema: input,
  outputSchema: z.object({
    courseId: z.number().int(),
    sections: z.array(sectionSchema),
    moduleCount: z.number().int().describe('Number of activities listed across the sections.'),
  }),
  write: false,
  wsfunctions: ['core_course_get_contents'],
  async run(args, ctx) {
    const courseId = resolveCourseId(args.courseId, ctx);
    // Moodle filters by section and module type itself (options since 2.9); file
    // lists inside resources are not shown, so it is asked to leave them out.
    const options = [{ name: 'excludecontents', value: '1' }];
    if (args.moduleType !== undefined) options.push({ name: 'modname', value: args.moduleType });
    if (args.sectionNumber !== undefined) options.push({ name: 'sectionnumber', value: String(args.sectionNumber) });
    const raw = await ctx.moodle.call<RawSection[]>('core_course_get_contents', { courseid: courseId, options }, { signal: ctx.signal });
    const sections = raw
      .map(toSection)
      // With a module type filter Moodle still lists every section; those without such activities are noise.
      .filter((s) => args.moduleType === undefined || s.modules.length > 0);
    const moduleCount = sections.reduce((n, s) => n + s.modules.length, 0);
    const filter = [args.moduleType && `type ${args.moduleType}`, args.sectionNumber !== undefined && `section ${args.sectionNumber}`]
      .filter(Boolean)
      .join(', ');
    const text = [
      `Course ${courseId}: ${plural(sections.length, 'section')}, ${plural(moduleCount, 'activity', 'activities')}${filter ? ` (${filter})` : ''}`,
      renderList(
        sections,
        (s) =>
          `${s.number ?? '?'}. ${s.name}${s.visible === false ? ' [hidden]' : ''}\n` +
          indent(
            renderList(
              s.modules,
              (m) => `- ${m.type} "${m.name}" (instanceId ${m.instanceId ?? '-'}, cmid ${m.cmid})${m.visible === false ? ' [hidden]' : ''}`,
              '(no activities)',
              15,
            ),
          ),
        'No sections.',
        15,
      ),
    ].join('\n');
    return { text, structured: { courseId, sections, moduleCount } };
  },
});
