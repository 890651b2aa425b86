import { mapMoodleException } from '../moodle/errorMap.js';

/** An entry of Moodle's external_warnings. */
export interface RawWarning {
  item?: string;
  itemid?: number;
  warningcode?: string;
  message?: string;
}

/**
 * Functions that take a list of course ids (mod_quiz_get_quizzes_by_courses,
 * core_calendar_get_calendar_events, ...) do not throw for a course the
 * account may not enter: they leave it out and add a warning for it
 * (external util::validate_courses: warningcode "1"; the calendar:
 * "nopermissions"). A tool asked about that one course fails the way
 * Moodle's other refusals do, instead of answering "nothing here".
 */
export function throwIfCourseRefused(wsfunction: string, warnings: readonly RawWarning[] | undefined, courseId: number): void {
  const refused = (warnings ?? []).find((w) => w.itemid === courseId && (w.item === undefined || w.item === 'course'));
  if (!refused) return;
  throw mapMoodleException(
    wsfunction,
    {
      exception: 'moodle_exception',
      errorcode: 'nopermissions',
      message: `No access rights in course ${courseId} (it does not exist, or this account may not enter it)`,
    },
    (text) => text,
  );
}
