import { AppError } from '@moodle-mcp/common';

/**
 * Kinds of failure of a Moodle call. `transient` kinds may succeed on retry
 * (reads only); the others are answers from Moodle that a retry will not change.
 */
export type MoodleErrorKind =
  | 'invalid_token' // token unknown, expired, or its user/service disabled
  | 'function_unavailable' // function not in the token's external service
  | 'permission_denied' // capability missing, not enrolled, context locked
  | 'not_found' // a record (course, assignment, user) does not exist
  | 'invalid_parameter' // Moodle refused a parameter value
  | 'moodle_exception' // any other Moodle exception
  | 'timeout' // no answer within MOODLE_TIMEOUT_MS
  | 'unreachable' // connection refused/reset, DNS failure
  | 'http_error' // non-200 status from the web server
  | 'bad_response' // 200 but not the JSON Moodle sends
  | 'aborted'; // the caller cancelled

const TRANSIENT: ReadonlySet<MoodleErrorKind> = new Set(['timeout', 'unreachable', 'http_error']);

export class MoodleError extends AppError {
  readonly kind: MoodleErrorKind;
  readonly wsfunction: string;
  /** Moodle's own errorcode (e.g. "invalidtoken"), when Moodle answered with one. */
  readonly moodleErrorCode?: string;
  /** HTTP status for http_error. */
  readonly status?: number;

  constructor(kind: MoodleErrorKind, wsfunction: string, message: string, extra?: { moodleErrorCode?: string; status?: number; cause?: unknown }) {
    super(`moodle_${kind}`, message, { cause: extra?.cause });
    this.kind = kind;
    this.wsfunction = wsfunction;
    this.moodleErrorCode = extra?.moodleErrorCode;
    this.status = extra?.status;
  }

  /** Worth retrying (for a read) and worth serving a stale cached answer for. */
  get transient(): boolean {
    return TRANSIENT.has(this.kind) || (this.kind === 'http_error' && (this.status ?? 500) >= 500);
  }
}
