/** Every simulated web service function, by name (the 19 functions of the sim's contract). */
import { getCalendarEvents } from './calendarEvents.js';
import { getActionEventsByTimesort } from './core_calendar.js';
import { getContents, getCourses, getCoursesByField, getSiteInfo, searchCourses } from './core_course.js';
import { getEnrolledUsers, getUsersCourses } from './core_enrol.js';
import { getGradeItems } from './gradereport_user.js';
import { getAssignments, getGrades, getSubmissions, saveGrade } from './mod_assign.js';
import { getForumDiscussions, getForumsByCourses } from './mod_forum.js';
import { getQuizzesByCourses, getUserAttempts, getUserQuizAttempts } from './mod_quiz.js';
import type { WsFunction } from './registry.js';

const ALL: WsFunction[] = [
  getSiteInfo,
  getCourses,
  getCoursesByField,
  searchCourses,
  getContents,
  getEnrolledUsers,
  getUsersCourses,
  getAssignments,
  getSubmissions,
  getGrades,
  saveGrade,
  getQuizzesByCourses,
  getUserQuizAttempts,
  getUserAttempts,
  getGradeItems,
  getActionEventsByTimesort,
  getCalendarEvents,
  getForumsByCourses,
  getForumDiscussions,
];

export const FUNCTIONS: ReadonlyMap<string, WsFunction> = new Map(ALL.map((f) => [f.name, f]));
export const FUNCTION_NAMES: readonly string[] = ALL.map((f) => f.name);
