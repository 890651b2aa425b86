import { z } from 'zod';
import { ENROLLED_COURSES_FUNCTIONS, enrolledCourses } from './account.js';
import { moodleId, pageArg, perPageArg } from './args.js';
import { flag, formatWhen, isoFromUnix } from './convert.js';
import { defineTool } from './define.js';
import { htmlToText, SUMMARY_MAX_CHARS } from './html.js';
import { perObject } from './memo.js';
import { renderList } from './render.js';

/**
 * Course fields read from core_course_get_courses_by_field,
 * core_course_search_courses (no dates nor visibility) and
 * core_enrol_get_users_courses (the category as `category`, without its name).
 */
interface RawCourse {
  id: number;
  shortname?: string;
  fullname?: string;
  displayname?: string;
  categoryid?: number;
  category?: number;
  categoryname?: string;
  summary?: string;
  format?: string;
  startdate?: number;
  enddate?: number;
  visible?: number | boolean;
}

export const courseSchema = z.object({
  id: z.number().int().describe('Course id: pass it as courseId to the course-scoped tools.'),
  shortName: z.string(),
  fullName: z.string(),
  categoryId: z.number().int().nullable(),
  categoryName: z
    .string()
    .nullable()
    .describe("Null when Moodle does not report it (get_courses without courseIds: Moodle's list of the account's courses has no category names)."),
  summary: z.string().describe('Course summary as plain text, shortened.'),
  startDate: z.string().nullable().describe('ISO 8601; null when not set or not reported.'),
  endDate: z.string().nullable().describe('ISO 8601; null when not set or not reported.'),
  visible: z.boolean().nullable().describe('False for courses hidden from students; null when not reported.'),
});
export type Course = z.infer<typeof courseSchema>;

/** Converted once per Moodle answer object (see perObject): dates and HTML summaries are the costly part of a cached read. */
export const toCourse = perObject((raw: RawCourse): Course => ({
  id: raw.id,
  shortName: raw.shortname ?? '',
  fullName: raw.fullname ?? raw.displayname ?? '',
  categoryId: raw.categoryid ?? raw.category ?? null,
  categoryName: raw.categoryname ?? null,
  summary: htmlToText(raw.summary, SUMMARY_MAX_CHARS),
  startDate: isoFromUnix(raw.startdate),
  endDate: isoFromUnix(raw.enddate),
  visible: flag(raw.visible),
}));

export const renderCourse = perObject((c: Course): string => {
  const dates = c.startDate ? `, ${formatWhen(c.startDate).slice(0, 10)} to ${c.endDate ? formatWhen(c.endDate).slice(0, 10) : 'open end'}` : '';
  const hidden = c.visible === false ? ' [hidden]' : '';
  return `- [${c.id}] ${c.shortName}: ${c.fullName}${hidden}${dates}`;
});

const pageFields = {
  total: z.number().int().describe('Number of matching courses across all pages.'),
  page: z.number().int(),
  perPage: z.number().int(),
  hasMore: z.boolean().describe('True when a further page exists (call again with page + 1).'),
};

function pageOf<T>(items: T[], page: number, perPage: number) {
  const slice = items.slice(page * perPage, (page + 1) * perPage);
  return { slice, total: items.length, hasMore: (page + 1) * perPage < items.length };
}

function pageHeader(what: string, shown: number, total: number, page: number, perPage: number, hasMore: boolean): string {
  if (total === 0) return `No ${what}.`;
  if (shown === 0) return `Page ${page} is past the end: ${total} ${what} in all (${perPage} per page).`;
  const first = page * perPage + 1;
  const next = hasMore ? `; next: page ${page + 1}` : '';
  return `${what[0]!.toUpperCase()}${what.slice(1)} (${first}-${first + shown - 1} of ${total}${next}):`;
}

export const getCourses = defineTool({
  name: 'get_courses',
  title: 'List courses',
  description:
    'Lists Moodle courses with their ids, short and full names, category, dates and visibility. ' +
    "Without courseIds it pages through the courses the server's account is enrolled in (its own courses, as teacher or student; page/perPage); " +
    'with courseIds it returns just those courses, as far as the account may see them. Use it to find the courseId the other tools need; ' +
    'to find any course of the site by name use search_courses instead.',
  inputSchema: z.object({
    courseIds: z
      .array(moodleId('Course id.'))
      .min(1)
      .max(100)
      .optional()
      .describe("Only these courses (up to 100 ids). Omit to list the account's own courses."),
    page: pageArg,
    perPage: perPageArg(20, 100),
  }),
  outputSchema: z.object({ courses: z.array(courseSchema), ...pageFields }),
  write: false,
  wsfunctions: [...ENROLLED_COURSES_FUNCTIONS, 'core_course_get_courses_by_field'],
  async run({ courseIds, page, perPage }, ctx) {
    let raw: RawCourse[];
    if (courseIds) {
      const res = await ctx.moodle.call<{ courses?: RawCourse[] }>(
        'core_course_get_courses_by_field',
        { field: 'ids', value: courseIds.join(',') },
        { signal: ctx.signal },
      );
      raw = res.courses ?? [];
    } else {
      // Not core_course_get_courses: it needs moodle/course:view in every course, which teachers lack.
      raw = await enrolledCourses(ctx);
    }
    // The site front page (format "site") is not a course a teacher means, should Moodle list it.
    const courses = raw
      .filter((c) => c.format !== 'site')
      .map(toCourse)
      .sort((a, b) => a.id - b.id);
    const { slice, total, hasMore } = pageOf(courses, page, perPage);
    const missing = courseIds?.filter((id) => !courses.some((c) => c.id === id)) ?? [];
    const text = [
      pageHeader(courseIds ? 'courses' : 'courses of this account', slice.length, total, page, perPage, hasMore),
      renderList(slice, renderCourse, ''),
      missing.length ? `Not found or not visible: ${missing.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    return { text, structured: { courses: slice, total, page, perPage, hasMore } };
  },
});

export const searchCourses = defineTool({
  name: 'search_courses',
  title: 'Search courses by name',
  description:
    "Searches courses by words in their name, short name or summary (Moodle's course search) and returns matching courses " +
    'with their ids, names and category. Use it when the teacher names a course ("my biology class") to get its courseId.',
  inputSchema: z.object({
    query: z.string().min(1).max(200).describe('Words to search for, e.g. "biology 101".'),
    page: pageArg,
    perPage: perPageArg(20, 100),
  }),
  outputSchema: z.object({ query: z.string(), courses: z.array(courseSchema), ...pageFields }),
  write: false,
  wsfunctions: ['core_course_search_courses'],
  async run({ query, page, perPage }, ctx) {
    const res = await ctx.moodle.call<{ total?: number; courses?: RawCourse[] }>(
      'core_course_search_courses',
      { criterianame: 'search', criteriavalue: query, page, perpage: perPage },
      { signal: ctx.signal },
    );
    const courses = (res.courses ?? []).map(toCourse);
    const total = res.total ?? courses.length;
    const hasMore = (page + 1) * perPage < total;
    const text = [pageHeader(`courses matching "${query}"`, courses.length, total, page, perPage, hasMore), renderList(courses, renderCourse, '')]
      .filter(Boolean)
      .join('\n');
    return { text, structured: { query, courses, total, page, perPage, hasMore } };
  },
});
