import { AppError } from '@moodle-mcp/common';

/**
 * Arguments that pass the schema but cannot be acted on (no courseId and no
 * MOODLE_DEFAULT_COURSE_ID, an assignment that is not in the course, ...).
 * The message tells the assistant what to send instead.
 */
export class ToolInputError extends AppError {
  constructor(message: string) {
    super('invalid_arguments', message);
  }
}
