/**
 * login/token.php: username + password + service → the user's permanent token
 * for that service. Pure: request variables in, answer out; never logs.
 *
 * As Moodle 4.5/5.x login/token.php does (an AJAX_SCRIPT, so errors go through
 * default_exception_handler → core_renderer_ajax::fatal_error):
 * - `appsitecheck=1` answers {"appsitecheck":"ok"} before anything else;
 * - required_param username, password, service, in that order: an absent one is
 *   moodle_exception "missingparam";
 * - authenticate_user_login fails → "invalidlogin";
 * - the service shortname is not an enabled service → "servicenotavailable";
 * - core_external\util::generate_token_for_current_user: an existing token of
 *   the user for the service, else (teachers lack moodle/webservice:createtoken)
 *   "cannotcreatetoken";
 * - success: {"token": ..., "privatetoken": null} (the private token is only
 *   sent to https sites, and the sim is http).
 * Errors are HTTP 200 with {"error", "errorcode", "stacktrace", "debuginfo",
 * "reproductionlink"}; the last three are null unless the site runs developer
 * debugging (then debuginfo is get_exception_info's "\nError code: <code>").
 */
import type { TokenSpec } from './auth/tokens.js';
import { DEMO_TEACHERS, SIM_SERVICE_SHORTNAME } from './auth/demoTeachers.js';
import type { PhpArray } from './http/decode.js';
import type { WsAnswer } from './webservice.js';

export const LOGIN_TOKEN_PATH = '/login/token.php';

export interface LoginEnv {
  tokens: Record<string, TokenSpec>;
  wwwroot: string;
  debug: boolean;
}

const ERRORS: Record<string, (a: string) => string> = {
  missingparam: (a) => `A required parameter (${a}) was missing`,
  invalidlogin: () => 'Invalid login, please try again',
  servicenotavailable: () => "Web service is not available (it doesn't exist or might be disabled)",
  cannotcreatetoken: (a) => `No permission to create web service token for the service ${a}.`,
};

class LoginError extends Error {
  constructor(
    readonly errorcode: keyof typeof ERRORS,
    readonly a = '',
  ) {
    super(errorcode);
  }
}

const json = (value: unknown): WsAnswer => ({ status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(value) });

/** required_param: only an absent name is "missing" (isset); an empty value goes on and fails later. */
function required(vars: PhpArray, name: string): string {
  const v = vars.get(name);
  if (v === undefined) throw new LoginError('missingparam', name);
  return typeof v === 'string' ? v : '';
}

function issue(vars: PhpArray, env: LoginEnv): WsAnswer {
  if (vars.get('appsitecheck') === '1') return json({ appsitecheck: 'ok' });
  const username = required(vars, 'username').trim().toLowerCase();
  const password = required(vars, 'password');
  const service = required(vars, 'service');
  const teacher = DEMO_TEACHERS.find((t) => t.username === username && t.password === password);
  if (!teacher) throw new LoginError('invalidlogin');
  if (service !== SIM_SERVICE_SHORTNAME) throw new LoginError('servicenotavailable');
  // The teacher's own token when active; else any active token of the user that is not an admin-powered one.
  const own = Object.prototype.hasOwnProperty.call(env.tokens, teacher.token) ? teacher.token : undefined;
  const token = own ?? Object.keys(env.tokens).find((t) => env.tokens[t]!.userid === teacher.userid && env.tokens[t]!.capabilities !== 'all');
  if (!token) throw new LoginError('cannotcreatetoken', service);
  return json({ token, privatetoken: null });
}

/** Answers one login/token.php request from its merged GET+POST variables. */
export function handleTokenLogin(vars: PhpArray, env: LoginEnv): WsAnswer {
  try {
    return issue(vars, env);
  } catch (err) {
    if (!(err instanceof LoginError)) throw err;
    const developer = env.debug;
    return json({
      error: ERRORS[err.errorcode]!(err.a),
      errorcode: err.errorcode,
      stacktrace: developer ? `* line ? of /login/token.php: moodle_exception thrown\n` : null,
      debuginfo: developer ? `\nError code: ${err.errorcode}` : null,
      reproductionlink: developer ? `${env.wwwroot}/` : null,
    });
  }
}
