import { MoodleError, type MoodleErrorKind } from './errors.js';

/** Moodle's error body: HTTP 200 with these fields (debuginfo only in debug mode). */
export interface MoodleExceptionBody {
  exception: string;
  errorcode: string;
  message: string;
  debuginfo?: string;
}

export function isMoodleException(body: unknown): body is MoodleExceptionBody {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Record<string, unknown>).exception === 'string' &&
    typeof (body as Record<string, unknown>).errorcode === 'string'
  );
}

/** Moodle errorcodes, grouped by what the teacher or the admin can do about them. */
const KIND_BY_ERRORCODE: Record<string, MoodleErrorKind> = {
  invalidtoken: 'invalid_token',
  invalidtokensession: 'invalid_token',
  tokenexpired: 'invalid_token',
  invalidtimedtoken: 'invalid_token',
  usernotfullysetup: 'invalid_token',
  suspended: 'invalid_token',
  accessexception: 'function_unavailable',
  servicerequireslogin: 'function_unavailable',
  servicenotavailable: 'function_unavailable',
  nopermissions: 'permission_denied',
  requireloginerror: 'permission_denied',
  notenrolled: 'permission_denied',
  coursehidden: 'permission_denied',
  errorcoursecontextnotvalid: 'permission_denied',
  invalidrecord: 'not_found',
  invalidrecordunknown: 'not_found',
  invalidcourseid: 'not_found',
  invalidcoursemodule: 'not_found',
  invaliduser: 'not_found',
  invaliduserid: 'not_found',
  invalidparameter: 'invalid_parameter',
  invalidresponse: 'bad_response',
};

const HINT: Partial<Record<MoodleErrorKind, string>> = {
  invalid_token: 'The Moodle token of this server is invalid or expired; ask the Moodle administrator for a new one.',
  function_unavailable: "This function is not enabled in the token's Moodle web service; ask the Moodle administrator to add it to the external service.",
  permission_denied: 'The Moodle account behind this server lacks the capability for this (or is not enrolled in the course).',
  not_found: 'Check the id: it does not exist in Moodle or is not visible to this account.',
  invalid_parameter: 'Moodle refused a parameter value.',
};

/**
 * Turns Moodle's exception body into a MoodleError whose message says what
 * happened and what to do. `redact` removes any secret that might appear
 * in Moodle's text.
 */
export function mapMoodleException(wsfunction: string, body: MoodleExceptionBody, redact: (s: string) => string): MoodleError {
  let kind: MoodleErrorKind = KIND_BY_ERRORCODE[body.errorcode] ?? 'moodle_exception';
  // required_capability_exception uses errorcode "nopermissions"; the class name is the stronger signal.
  if (body.exception.endsWith('required_capability_exception')) kind = 'permission_denied';
  if (body.exception.endsWith('webservice_access_exception') && kind === 'moodle_exception') kind = 'function_unavailable';
  const moodleText = redact(String(body.message ?? '').slice(0, 500));
  const hint = HINT[kind];
  const message = `Moodle refused ${wsfunction}: ${moodleText} (errorcode ${body.errorcode})${hint ? `. ${hint}` : ''}`;
  return new MoodleError(kind, wsfunction, message, { moodleErrorCode: body.errorcode });
}
