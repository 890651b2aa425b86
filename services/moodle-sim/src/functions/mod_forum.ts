/**
 * mod_forum_get_forums_by_courses (a plain array, no warnings: courses the user
 * cannot enter are skipped) and mod_forum_get_forum_discussions (the 3.7+
 * implementation: discussion `id` is the first post's id, `discussion` the
 * discussion's; an unknown forum is a moodle_exception whose code is the
 * untranslated sentence "Unable to find forum with id N").
 */
import { MoodleException } from '../errors.js';
import { defaultValue, multiple, params, value } from '../params/schema.js';
import type { Discussion, Forum } from '../data/types.js';
import { read, type CallContext, type WsFunction } from './registry.js';

function forumEntry(ctx: CallContext, f: Forum): Record<string, unknown> {
  const canCreate = f.type === 'news' ? ctx.access.has('moodle/course:update', f.course) : ctx.access.has('mod/forum:startdiscussion', f.course);
  return {
    id: f.id,
    course: f.course,
    type: f.type,
    name: f.name,
    intro: `<p>${f.intro}</p>`,
    introformat: 1,
    introfiles: [],
    lang: '',
    duedate: 0,
    cutoffdate: 0,
    assessed: 0,
    assesstimestart: 0,
    assesstimefinish: 0,
    scale: 100,
    grade_forum: 0,
    grade_forum_notify: 0,
    maxbytes: 512000,
    maxattachments: 9,
    forcesubscribe: f.type === 'news' ? 1 : 0,
    trackingtype: 1,
    rsstype: 0,
    rssarticles: 0,
    timemodified: f.timemodified,
    warnafter: 0,
    blockafter: 0,
    blockperiod: 0,
    completiondiscussions: 0,
    completionreplies: 0,
    completionposts: 0,
    cmid: f.cmid,
    numdiscussions: ctx.store.data.discussions.filter((d) => d.forum === f.id).length,
    cancreatediscussions: canCreate,
    lockdiscussionafter: 0,
    istracked: false,
    unreadpostscount: 0,
  };
}

export const getForumsByCourses: WsFunction = {
  name: 'mod_forum_get_forums_by_courses',
  params: params({ courseids: multiple(value('int'), 'default') }),
  handler(ctx, p) {
    let ids = read.ints(p, 'courseids');
    if (ids.length === 0) ids = ctx.store.coursesOfUser(ctx.access.userid).map((c) => c.id);
    const courses = ids.filter((id) => ctx.store.course(id) && ctx.access.canEnter(id));
    return ctx.store.data.forums.filter((f) => courses.includes(f.course) && ctx.access.has('mod/forum:viewdiscussion', f.course)).map((f) => forumEntry(ctx, f));
  },
};

/** discussion_list sort orders; -1 is the default (pinned first, then last post descending). */
const SORTS: Record<number, (a: Discussion, b: Discussion) => number> = {
  [-1]: (a, b) => Number(b.pinned) - Number(a.pinned) || b.timemodified - a.timemodified,
  1: (a, b) => b.timemodified - a.timemodified,
  2: (a, b) => a.timemodified - b.timemodified,
  3: (a, b) => b.created - a.created,
  4: (a, b) => a.created - b.created,
  5: (a, b) => b.numreplies - a.numreplies,
  6: (a, b) => a.numreplies - b.numreplies,
};

export const getForumDiscussions: WsFunction = {
  name: 'mod_forum_get_forum_discussions',
  params: params({
    forumid: value('int'),
    sortorder: defaultValue('int', -1),
    page: defaultValue('int', -1),
    perpage: defaultValue('int', 0),
    groupid: defaultValue('int', 0),
  }),
  handler(ctx, p) {
    const forumid = read.int(p, 'forumid');
    const forum = ctx.store.forum(forumid);
    if (!forum) {
      const code = `Unable to find forum with id ${forumid}`;
      throw new MoodleException('moodle_exception', code, `error/${code}`);
    }
    ctx.access.validateCourse(forum.course);
    ctx.access.require('mod/forum:viewdiscussion', forum.course);
    const sort = SORTS[read.int(p, 'sortorder')] ?? SORTS[-1]!;
    let list = ctx.store.data.discussions.filter((d) => d.forum === forum.id).sort((a, b) => sort(a, b) || b.id - a.id);
    const page = read.int(p, 'page');
    const perpage = read.int(p, 'perpage');
    if (page >= 0 && perpage > 0) list = list.slice(page * perpage, page * perpage + perpage);
    const name = (id: number): string => {
      const u = ctx.store.user(id);
      return u ? `${u.firstname} ${u.lastname}` : '';
    };
    const discussions = list.map((d) => ({
      id: d.firstpost,
      name: d.name,
      groupid: -1,
      timemodified: d.timemodified,
      usermodified: d.usermodified,
      timestart: 0,
      timeend: 0,
      discussion: d.id,
      parent: 0,
      userid: d.userid,
      created: d.created,
      modified: d.timemodified,
      mailed: 1,
      subject: d.name,
      message: d.message,
      messageformat: 1,
      messagetrust: 0,
      messageinlinefiles: [],
      attachment: '',
      attachments: [],
      totalscore: 0,
      mailnow: 0,
      userfullname: name(d.userid),
      usermodifiedfullname: name(d.usermodified),
      userpictureurl: `${ctx.wwwroot}/theme/image.php/boost/core/1/u/f1`,
      usermodifiedpictureurl: `${ctx.wwwroot}/theme/image.php/boost/core/1/u/f1`,
      numreplies: d.numreplies,
      numunread: 0,
      pinned: d.pinned,
      locked: false,
      starred: false,
      canreply: ctx.access.has('mod/forum:replypost', forum.course),
      canlock: ctx.access.has('moodle/course:update', forum.course),
      canfavourite: true,
    }));
    return { discussions, warnings: [] };
  },
};
