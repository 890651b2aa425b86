import { z } from 'zod';
import { ToolInputError } from './errors.js';
import type { ToolContext } from './types.js';

/**
 * Input fields shared by several tools. Each carries a description that tells
 * the assistant where to get the value. Plain JSON-Schema-expressible zod only
 * (no transforms or refinements): the server converts these once with
 * z.toJSONSchema and validates arguments with them before `run`.
 */

/** A Moodle record id. */
export const moodleId = (what: string) => z.number().int().positive().describe(what);

/** Optional course id of course-scoped tools; `resolveCourseId` applies the server's default. */
export const courseIdArg = z
  .number()
  .int()
  .positive()
  .optional()
  .describe(
    'Moodle course id (a number, e.g. 2). Get it from get_courses or search_courses. ' + 'May be omitted when the server has a default course configured.',
  );

/** 0-based page number. */
export const pageArg = z.number().int().min(0).default(0).describe('Page number, starting at 0.');

/** Page size with a cap, so one call cannot ask Moodle for everything at once. */
export const perPageArg = (def: number, max: number) => z.number().int().min(1).max(max).default(def).describe(`Items per page (1-${max}, default ${def}).`);

/**
 * The course a course-scoped tool works on: the `courseId` argument, else the
 * server's default course. Without either the assistant is told how to find one.
 */
export function resolveCourseId(courseId: number | undefined, ctx: ToolContext): number {
  const resolved = courseId ?? ctx.defaultCourseId;
  if (resolved === undefined) {
    throw new ToolInputError(
      'No course given and this server has no default course: pass courseId. ' +
        'Find course ids with get_courses (lists your courses) or search_courses (by name).',
    );
  }
  return resolved;
}
