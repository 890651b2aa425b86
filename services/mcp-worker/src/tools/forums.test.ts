import { SEED, TEACHER_TOKEN } from '@moodle-mcp/moodle-sim';
import type { MoodleApi } from '../moodle/types.js';
import { ToolInputError } from './errors.js';
import { getForumDiscussions } from './forums.js';
import { invokeTool } from './invoke.js';
import { ACCOUNTS, useSimMoodle } from './simMoodle.js';

const t = useSimMoodle();

describe.each(ACCOUNTS)('as $who', ({ token }) => {
  const ctx = (defaultCourseId?: number, api?: MoodleApi) => (api ? t.ctx(defaultCourseId, api) : t.ctxAs(token, defaultCourseId));

  describe('get_forum_discussions', () => {
    it('reads every forum of the course with its discussions, most recently active first', async () => {
      const { structured, text } = await invokeTool(getForumDiscussions, { courseId: SEED.courseId }, ctx());
      expect(structured.forums.map((f) => [f.id, f.type])).toEqual([
        [SEED.newsForumId, 'news'],
        [SEED.forumId, 'general'],
      ]);
      const general = structured.forums[1]!;
      expect(general.discussions.length).toBeGreaterThan(0);
      const activity = general.discussions.map((d) => Date.parse(d.lastActivity!));
      expect(activity).toEqual([...activity].sort((a, b) => b - a));
      const first = general.discussions[0]!;
      expect(first.author).toEqual(expect.any(String));
      expect(first.message).not.toMatch(/[<>]/);
      expect(structured.forumsLeftOut).toBe(0);
      expect(text).toContain(`[${SEED.forumId}] Course discussion`);
    });

    it('pages through one forum with forumId, page and perPage', async () => {
      const all = (await invokeTool(getForumDiscussions, { courseId: SEED.courseId, forumId: SEED.forumId, perPage: 50 }, ctx())).structured;
      expect(all.forums.map((f) => f.id)).toEqual([SEED.forumId]);
      const ids = all.forums[0]!.discussions.map((d) => d.id);
      expect(ids.length).toBeGreaterThanOrEqual(2);
      const p0 = (await invokeTool(getForumDiscussions, { courseId: SEED.courseId, forumId: SEED.forumId, page: 0, perPage: 1 }, ctx())).structured;
      const p1 = (await invokeTool(getForumDiscussions, { courseId: SEED.courseId, forumId: SEED.forumId, page: 1, perPage: 1 }, ctx())).structured;
      expect([...p0.forums[0]!.discussions, ...p1.forums[0]!.discussions].map((d) => d.id)).toEqual(ids.slice(0, 2));
    });

    it('names the forums of the course when forumId belongs to another course', async () => {
      const call = invokeTool(getForumDiscussions, { courseId: SEED.otherCourseId, forumId: SEED.forumId }, ctx());
      await expect(call).rejects.toThrow(ToolInputError);
      await expect(call).rejects.toThrow(/not a forum of course 3\. Forums of that course: \d+ \(Announcements\)/);
    });

    it("uses the server's default course", async () => {
      const { structured } = await invokeTool(getForumDiscussions, { forumId: SEED.newsForumId }, ctx(SEED.courseId));
      expect(structured.courseId).toBe(SEED.courseId);
      expect(structured.forums[0]!.discussions.map((d) => d.subject)).toContain('Welcome to the course');
    });
  });
});

describe('get_forum_discussions as an editing teacher, in a course they do not teach', () => {
  // mod_forum_get_forums_by_courses leaves such a course out without a warning, so there is no error to pass on.
  it('finds no forums and points to get_courses', async () => {
    const { structured, text } = await invokeTool(getForumDiscussions, { courseId: SEED.hiddenCourseId }, t.ctxAs(TEACHER_TOKEN));
    expect(structured.forums).toEqual([]);
    expect(text).toMatch(/No forums in this course that this account can read.*get_courses/);
  });
});
