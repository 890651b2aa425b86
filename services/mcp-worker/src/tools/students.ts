import { z } from 'zod';
import { courseIdArg, resolveCourseId } from './args.js';
import { formatWhen, isoFromUnix } from './convert.js';
import { defineTool } from './define.js';
import { perObject } from './memo.js';
import { plural, renderList } from './render.js';

/** The fields of core_enrol_get_enrolled_users this tool reads. */
interface RawEnrolledUser {
  id: number;
  fullname?: string;
  firstname?: string;
  lastname?: string;
  email?: string;
  lastcourseaccess?: number;
  roles?: { roleid?: number; shortname?: string; name?: string }[];
  groups?: { id: number; name?: string }[];
}

/** Role filter value meaning "everyone enrolled". */
const ALL_ROLES = 'all';

const userSchema = z.object({
  id: z.number().int().describe('Moodle user id: pass it as userId to get_submissions, provide_assignment_feedback, get_quiz_attempts, get_grades.'),
  fullName: z.string(),
  email: z.string().nullable().describe('Null when hidden from this account.'),
  roles: z.array(z.string()).describe('Role short names in the course, e.g. ["student"].'),
  groups: z.array(z.string()).describe('Names of the course groups the user is in.'),
  lastCourseAccess: z.string().nullable().describe('Last visit to the course, ISO 8601; null if never.'),
});

/** One item of Moodle's answer, converted once per answer object (perObject). */
const toUser = perObject((u: RawEnrolledUser) => ({
  id: u.id,
  fullName: u.fullname ?? [u.firstname, u.lastname].filter(Boolean).join(' '),
  email: u.email ?? null,
  roles: (u.roles ?? []).map((r) => r.shortname ?? '').filter(Boolean),
  groups: (u.groups ?? []).map((g) => g.name ?? String(g.id)),
  lastCourseAccess: isoFromUnix(u.lastcourseaccess),
}));

export const listStudents = defineTool({
  name: 'list_students',
  title: 'Enrolled users of a course',
  description:
    'Lists the users enrolled in a course with their user ids, names, emails, roles, groups and last course access. ' +
    'By default only students; set role to "editingteacher", "teacher" (non-editing), "manager" or "all". ' +
    'Use it to get the userId other tools need, or to see who has not been in the course lately. ' +
    'Pages with limit/offset over all enrolled users (the role filter applies within each page, so a page can hold fewer than `limit`); ' +
    'continue with offset = nextOffset while nextOffset is not null. ' +
    'Needs a courseId (from get_courses or search_courses) unless the server has a default course.',
  inputSchema: z.object({
    courseId: courseIdArg,
    role: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/)
      .max(100)
      .default('student')
      .describe('Role short name to keep: "student" (default), "editingteacher", "teacher", "manager", or "all" for everyone.'),
    limit: z.number().int().min(1).max(200).default(50).describe('Enrolled users to read from Moodle in this call (1-200, default 50).'),
    offset: z.number().int().min(0).default(0).describe('Enrolled users to skip (0 for the first page; then the previous nextOffset).'),
  }),
  outputSchema: z.object({
    courseId: z.number().int(),
    role: z.string(),
    offset: z.number().int(),
    limit: z.number().int(),
    scanned: z.number().int().describe('Enrolled users Moodle returned for this page, before the role filter.'),
    nextOffset: z.number().int().nullable().describe('Offset of the next page; null when this was the last page.'),
    users: z.array(userSchema),
  }),
  write: false,
  wsfunctions: ['core_enrol_get_enrolled_users'],
  async run(args, ctx) {
    const courseId = resolveCourseId(args.courseId, ctx);
    // Moodle pages in SQL (limitfrom/limitnumber) over all enrolments; roles are
    // only known per user, so the role filter runs on the returned page.
    const raw = await ctx.moodle.call<RawEnrolledUser[]>(
      'core_enrol_get_enrolled_users',
      {
        courseid: courseId,
        options: [
          { name: 'limitfrom', value: args.offset },
          { name: 'limitnumber', value: args.limit },
        ],
      },
      { signal: ctx.signal },
    );
    const users = raw.filter((u) => args.role === ALL_ROLES || (u.roles ?? []).some((r) => r.shortname === args.role)).map(toUser);
    // A full page means there may be more; Moodle does not send a total.
    const nextOffset = raw.length >= args.limit ? args.offset + raw.length : null;
    const who = args.role === ALL_ROLES ? 'enrolled users' : `users with role ${args.role}`;
    const range = raw.length ? `enrolled users ${args.offset + 1}-${args.offset + raw.length}` : `no enrolled users after offset ${args.offset}`;
    const text = [
      `Course ${courseId}: ${plural(users.length, 'user')} with ${args.role === ALL_ROLES ? 'any role' : `role ${args.role}`} among ${range}` +
        (nextOffset !== null ? ` (more: offset ${nextOffset})` : ''),
      renderList(
        users,
        (u) =>
          `- [${u.id}] ${u.fullName}${u.email ? ` <${u.email}>` : ''}` +
          `${args.role === ALL_ROLES ? ` (${u.roles.join(', ') || 'no role'})` : ''}` +
          `${u.groups.length ? `, groups: ${u.groups.join(', ')}` : ''}, last access ${u.lastCourseAccess ? formatWhen(u.lastCourseAccess) : 'never'}`,
        `No ${who} on this page.`,
      ),
    ].join('\n');
    return { text, structured: { courseId, role: args.role, offset: args.offset, limit: args.limit, scanned: raw.length, nextOffset, users } };
  },
});
