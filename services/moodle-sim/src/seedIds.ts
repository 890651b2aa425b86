/**
 * Ids in the seeded data set that tests and other services may rely on. They
 * are fixed by construction (see data/seed.ts); seed.test.ts checks each one
 * against the built data set.
 */
export const SEED = {
  /** The site course (format "site"), returned by core_course_get_courses. */
  siteCourseId: 1,
  /** BIO101: the demo teacher's course with assignments, quizzes, forums and 30 students (ids 10–39). */
  courseId: 2,
  /** CHEM201, also taught by the demo teacher. */
  otherCourseId: 3,
  /** PHIL100: hidden course (visible 0), not taught by the demo teacher. */
  hiddenCourseId: 7,
  /** Course categories. */
  categoryId: 2,
  /** Tessa Lindqvist: the demo token's user, editing teacher in courses 2–5. */
  teacherId: 3,
  /** Marcus Okafor: non-editing teacher in course 2. */
  nonEditingTeacherId: 4,
  /** Students 10–14 in course 2, with fixed states in assignment 1 and quiz 2. */
  studentId: 10,
  /** Submitted on time, not graded. */
  ungradedStudentId: 10,
  /** Submitted and graded 78 with feedback. */
  gradedStudentId: 11,
  /** Submitted after the due date. */
  lateStudentId: 12,
  /** Draft submission. */
  draftStudentId: 13,
  /** Submission record in status "new". */
  newStudentId: 14,
  /** A student not enrolled in course 2. */
  notInCourseStudentId: 69,
  /** BIO101 "Lab report: osmosis in potato cells": due 6 days before now, max grade 100. */
  assignmentId: 1,
  /** Its course-module id (differs from the instance id on purpose). */
  assignmentCmid: 204,
  /** BIO101 essay: due 3 days after now. */
  upcomingAssignmentId: 2,
  /** BIO101 "Quiz 1": closed 8 days before now. */
  closedQuizId: 1,
  /** BIO101 "Quiz 2": open; student 10 in progress, 11 finished, 12 overdue. */
  quizId: 2,
  /** BIO101 Announcements (type news). */
  newsForumId: 1,
  /** BIO101 "Course discussion" (type general) with student discussions. */
  forumId: 2,
  /** An id that exists nowhere. */
  missingId: 999999,
} as const;
