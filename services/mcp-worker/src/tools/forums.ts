import { z } from 'zod';
import { courseIdArg, moodleId, pageArg, perPageArg, resolveCourseId } from './args.js';
import { flag, formatWhen, isoFromUnix, numberOrNull } from './convert.js';
import { defineTool } from './define.js';
import { perObject } from './memo.js';
import { ToolInputError } from './errors.js';
import { htmlToText, SUMMARY_MAX_CHARS } from './html.js';
import { indent, renderList } from './render.js';

/** The fields of mod_forum_get_forums_by_courses this tool reads. */
interface RawForum {
  id: number;
  course?: number;
  cmid?: number;
  type?: string;
  name?: string;
  intro?: string;
  numdiscussions?: number;
}
/** The fields of mod_forum_get_forum_discussions this tool reads (`id` is the first post, `discussion` the discussion). */
interface RawDiscussion {
  id: number;
  discussion?: number;
  name?: string;
  subject?: string;
  message?: string;
  userid?: number | null;
  userfullname?: string | null;
  created?: number;
  timemodified?: number;
  numreplies?: number;
  numunread?: number;
  pinned?: boolean | number;
  locked?: boolean | number;
}

/** Forums read when no forumId is given; a course rarely has more. */
const MAX_FORUMS = 10;

const discussionSchema = z.object({
  id: z.number().int().describe('Discussion id.'),
  subject: z.string(),
  author: z.string().nullable().describe('Null in anonymous forums.'),
  authorId: z.number().int().nullable(),
  createdAt: z.string().nullable().describe('ISO 8601.'),
  lastActivity: z.string().nullable().describe('Last post or change (ISO 8601).'),
  replies: z.number().int(),
  unread: z.number().int().nullable(),
  pinned: z.boolean().nullable(),
  locked: z.boolean().nullable(),
  message: z.string().describe('Opening post as plain text, shortened.'),
});

const forumSchema = z.object({
  id: z.number().int().describe('Forum id: pass it as forumId to read only this forum or further pages of it.'),
  cmid: z.number().int().nullable(),
  name: z.string(),
  type: z.string().nullable().describe('"news" (Announcements), "general", "qanda", "single", ...'),
  discussionCount: z.number().int().nullable().describe('Discussions in the forum, when Moodle reports it.'),
  discussions: z.array(discussionSchema).describe('The requested page, most recently active first.'),
});

/** One discussion of Moodle's answer, converted once per answer object (perObject). */
const toDiscussion = perObject((d: RawDiscussion) => ({
  id: d.discussion ?? d.id,
  subject: d.name || d.subject || '',
  author: d.userfullname ?? null,
  authorId: d.userid ?? null,
  createdAt: isoFromUnix(d.created),
  lastActivity: isoFromUnix(d.timemodified),
  replies: d.numreplies ?? 0,
  unread: d.numunread ?? null,
  pinned: flag(d.pinned),
  locked: flag(d.locked),
  message: htmlToText(d.message, SUMMARY_MAX_CHARS),
}));

export const getForumDiscussions = defineTool({
  name: 'get_forum_discussions',
  title: 'Forum discussions of a course',
  description:
    "Returns a course's forums (Announcements and discussion forums) and their discussions, most recently active first: " +
    'subject, author, dates, number of replies and the opening post as text. ' +
    'Use it to catch up on what students are asking or what was announced. Without forumId every forum of the course is read ' +
    '(up to 10, first page each); pass forumId (from a previous answer) with page/perPage to read one forum further. ' +
    'Needs a courseId (from get_courses or search_courses) unless the server has a default course.',
  inputSchema: z.object({
    courseId: courseIdArg,
    forumId: moodleId('Only this forum (id from a previous get_forum_discussions answer).').optional(),
    page: pageArg,
    perPage: perPageArg(10, 50),
  }),
  outputSchema: z.object({
    courseId: z.number().int(),
    page: z.number().int(),
    perPage: z.number().int(),
    forums: z.array(forumSchema),
    forumsLeftOut: z.number().int().describe('Forums of the course not read because of the 10-forum cap; use forumId for them.'),
  }),
  write: false,
  wsfunctions: ['mod_forum_get_forums_by_courses', 'mod_forum_get_forum_discussions'],
  async run(args, ctx) {
    const courseId = resolveCourseId(args.courseId, ctx);
    const all = (await ctx.moodle.call<RawForum[]>('mod_forum_get_forums_by_courses', { courseids: [courseId] }, { signal: ctx.signal })).filter(
      (f) => f.course === undefined || f.course === courseId,
    );
    let chosen = all;
    if (args.forumId !== undefined) {
      chosen = all.filter((f) => f.id === args.forumId);
      if (chosen.length === 0) {
        const known = all.map((f) => `${f.id} (${f.name ?? ''})`).join(', ') || 'none';
        throw new ToolInputError(`Forum ${args.forumId} is not a forum of course ${courseId}. Forums of that course: ${known}.`);
      }
    }
    const read = chosen.slice(0, MAX_FORUMS);
    const forums = await Promise.all(
      read.map(async (f) => {
        const res = await ctx.moodle.call<{ discussions?: RawDiscussion[] }>(
          'mod_forum_get_forum_discussions',
          { forumid: f.id, page: args.page, perpage: args.perPage },
          { signal: ctx.signal },
        );
        return {
          id: f.id,
          cmid: f.cmid ?? null,
          name: f.name ?? '',
          type: f.type ?? null,
          discussionCount: numberOrNull(f.numdiscussions),
          discussions: (res.discussions ?? []).map(toDiscussion),
        };
      }),
    );
    const forumsLeftOut = chosen.length - read.length;
    const text = [
      `Course ${courseId}: ${forums.length} forum${forums.length === 1 ? '' : 's'} (page ${args.page}, ${args.perPage} per page)` +
        (forumsLeftOut ? `; ${forumsLeftOut} more forums not read (use forumId)` : ''),
      renderList(
        forums,
        (f) =>
          `[${f.id}] ${f.name}${f.discussionCount !== null ? ` (${f.discussionCount} discussions)` : ''}\n` +
          indent(
            renderList(
              f.discussions,
              (d) =>
                `- "${d.subject}" by ${d.author ?? 'anonymous'}, ${d.replies} repl${d.replies === 1 ? 'y' : 'ies'}, last ${formatWhen(d.lastActivity)}` +
                (d.pinned ? ' [pinned]' : '') +
                (d.message ? `\n  ${d.message.slice(0, 160).replace(/\n/g, ' ')}${d.message.length > 160 ? '…' : ''}` : ''),
              '(no discussions on this page)',
              10,
            ),
          ),
        // mod_forum_get_forums_by_courses leaves out a course the account may not enter without a warning.
        'No forums in this course that this account can read (is the courseId one of its courses? see get_courses).',
        MAX_FORUMS,
      ),
    ].join('\n');
    return { text, structured: { courseId, page: args.page, perPage: args.perPage, forums, forumsLeftOut } };
  },
});
