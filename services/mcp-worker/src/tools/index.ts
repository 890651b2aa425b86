import { getAssignments } from './assignments.js';
import { getCourseContents } from './contents.js';
import { getCourses, searchCourses } from './courses.js';
import { getUpcomingDeadlines } from './deadlines.js';
import { provideAssignmentFeedback } from './feedback.js';
import { getForumDiscussions } from './forums.js';
import { getGrades } from './grades.js';
import { getQuizAttempts, getQuizzes } from './quizzes.js';
import { getSiteInfo } from './site.js';
import { listStudents } from './students.js';
import { getSubmissions } from './submissions.js';
import type { ToolDef } from './types.js';

/**
 * Every tool of the worker, in the order clients list them: from finding a
 * course to grading in it. Tools are stateless singletons shared by all
 * sessions; everything per call comes through `run`'s arguments and context.
 */
export const allTools: ToolDef[] = [
  getSiteInfo,
  getCourses,
  searchCourses,
  getCourseContents,
  listStudents,
  getAssignments,
  getSubmissions,
  provideAssignmentFeedback,
  getQuizzes,
  getQuizAttempts,
  getGrades,
  getUpcomingDeadlines,
  getForumDiscussions,
];

export type { ToolContext, ToolDef, ToolResult } from './types.js';
export { ToolInputError } from './errors.js';
