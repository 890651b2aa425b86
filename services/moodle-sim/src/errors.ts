/**
 * Moodle's exceptions as the REST server reports them. Every error the sim
 * answers with is a MoodleException; webservice/rest/locallib.php turns it into
 * `{"exception": <PHP class>, "errorcode": ..., "message": ...}` (plus
 * `debuginfo` only when the site runs with debugging on) — HTTP 200 either way.
 *
 * Messages are the English language strings of the codes (lang/en/error.php,
 * debug.php, webservice.php).
 */
export class MoodleException extends Error {
  /** The PHP class name, e.g. "invalid_parameter_exception". */
  readonly exception: string;
  readonly errorcode: string;
  readonly debuginfo?: string;

  constructor(exception: string, errorcode: string, message: string, debuginfo?: string) {
    super(message);
    this.name = 'MoodleException';
    this.exception = exception;
    this.errorcode = errorcode;
    this.debuginfo = debuginfo;
  }
}

/** The wire body of an exception. With `debug`, Moodle adds `debuginfo` and (developer debugging) appends it to the message. */
export function exceptionBody(ex: MoodleException, debug: boolean): Record<string, string> {
  const body: Record<string, string> = { exception: ex.exception, errorcode: ex.errorcode, message: ex.message };
  if (debug && ex.debuginfo !== undefined) {
    body.message = `${ex.message} (${ex.debuginfo})`;
    body.debuginfo = ex.debuginfo;
  }
  return body;
}

/** webservice_server::authenticate_by_token: no such token. */
export function invalidToken(): MoodleException {
  return new MoodleException('moodle_exception', 'invalidtoken', 'Invalid token - token not found');
}

/** webservice_access_exception (errorcode accessexception); the reason is only in debuginfo. */
export function accessException(debuginfo: string): MoodleException {
  return new MoodleException('webservice_access_exception', 'accessexception', 'Access control exception', debuginfo);
}

/** load_function_info: the token's service does not contain the function. */
export function functionNotAllowed(functionname: string): MoodleException {
  return accessException(
    `Access to the function ${functionname}() is not allowed.\n` +
      'There could be multiple reasons for this:\n' +
      '1. The service linked to the user token does not contain the function.\n' +
      '2. The service is user-restricted and the user is not listed.\n' +
      '3. The service is IP-restricted and the user IP is not listed.\n' +
      '4. The service is time-restricted and the time has expired.\n' +
      '5. The token is time-restricted and the time has expired.\n' +
      '6. The service requires a specific capability which the user does not have.\n' +
      '7. The function is called with username/password (no user token is sent)\n' +
      'and none of the services has the function to allow the user.\n' +
      'These settings can be found in Administration > Site administration\n' +
      '> Server > Web services > External services and Manage tokens.',
  );
}

/** invalid_parameter_exception: the message is fixed, the reason is the debuginfo. */
export function invalidParameter(debuginfo: string): MoodleException {
  return new MoodleException('invalid_parameter_exception', 'invalidparameter', 'Invalid parameter value detected', debuginfo);
}

/** dml_missing_record_exception from a MUST_EXIST lookup; debuginfo mimics the SQL Moodle reports. */
export function invalidRecord(table: string, id: number | string, field = 'id'): MoodleException {
  return new MoodleException(
    'dml_missing_record_exception',
    'invalidrecord',
    `Can not find data record in database table ${table}.`,
    `SELECT * FROM {${table}} WHERE ${field} = ?\n[array (\n  0 => ${typeof id === 'number' ? id : `'${id}'`},\n)]`,
  );
}

/** require_capability failed: required_capability_exception with the capability's display name. */
export function requiredCapability(capabilityName: string): MoodleException {
  return new MoodleException(
    'required_capability_exception',
    'nopermissions',
    `Sorry, but you do not currently have permissions to do that (${capabilityName})`,
  );
}

/** validate_context → require_login failed (user not enrolled in the course). */
export function requireLogin(): MoodleException {
  return new MoodleException('require_login_exception', 'requireloginerror', 'Course or activity not accessible.');
}

/**
 * `new moodle_exception($errorcode)` where the code is not a language string:
 * Moodle then uses "<module>/<errorcode>" (module "error") as the message.
 */
export function plainMoodleException(errorcode: string, message?: string): MoodleException {
  return new MoodleException('moodle_exception', errorcode, message ?? `error/${errorcode}`);
}

/** webservice errorcoursecontextnotvalid: a course-level validate_context failed inside a function. */
export function courseContextNotValid(courseid: number, cause: MoodleException): MoodleException {
  return new MoodleException(
    'moodle_exception',
    'errorcoursecontextnotvalid',
    `You cannot execute functions in the course context (course id:${courseid}). The context error message was: ${cause.message}`,
  );
}
