/**
 * The read tools a teacher's assistant calls, by weight, over the seeded
 * data set of moodle-sim. The demo teacher teaches courses 2-5 (assignments
 * 1-11); course 6 would answer "not enrolled".
 */
export type Call = [tool: string, args: Record<string, unknown>];

const COURSES = [2, 3, 4, 5];
const ASSIGNMENTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

/** Weight, tool, and the argument values it is called with (one picked at random per call). */
const MIX: [weight: number, tool: string, argsChoices: Record<string, unknown>[]][] = [
  [20, 'get_courses', [{}]],
  [15, 'list_students', COURSES.map((courseId) => ({ courseId }))],
  [15, 'get_assignments', COURSES.map((courseId) => ({ courseId }))],
  [15, 'get_submissions', ASSIGNMENTS.map((assignmentId) => ({ assignmentId }))],
  [10, 'get_quizzes', COURSES.map((courseId) => ({ courseId }))],
  [10, 'get_grades', COURSES.map((courseId) => ({ courseId }))],
  [5, 'get_course_contents', COURSES.map((courseId) => ({ courseId }))],
  [5, 'get_upcoming_deadlines', [{}]],
  [5, 'get_forum_discussions', COURSES.map((courseId) => ({ courseId }))],
];
const TOTAL_WEIGHT = MIX.reduce((s, [w]) => s + w, 0);

function pick<T>(xs: readonly T[]): T {
  return xs[Math.floor(Math.random() * xs.length)];
}

/** One call of the weighted read mix, drawn at random. */
export function nextReadCall(): Call {
  let r = Math.random() * TOTAL_WEIGHT;
  for (const [w, tool, choices] of MIX) if ((r -= w) < 0) return [tool, pick(choices)];
  return ['get_courses', {}];
}

/** Every distinct call the mix can draw: running them once fills the cache. */
export function everyReadCall(): Call[] {
  return MIX.flatMap(([, tool, choices]) => choices.map((args): Call => [tool, args]));
}

export const GET_COURSES: Call = ['get_courses', {}];
