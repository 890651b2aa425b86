/**
 * What the teachers CLI asks Moodle: a token for a username and password
 * (`POST {MOODLE_URL}/login/token.php`, as Moodle's mobile app does), and who
 * a token belongs to and what its service allows (core_webservice_get_site_info
 * through MoodleClient). Messages say what to do, and never carry the token or
 * the password.
 */
import { MoodleClient } from '../moodle/client.js';
import { MoodleError } from '../moodle/errors.js';
import { allTools } from '../tools/index.js';
import { CliError } from './cliArgs.js';

/** Who a token acts as, and what its external service lacks. */
export interface TokenCheck {
  userId: number;
  username: string;
  fullname: string;
  siteAdmin: boolean;
  siteName: string;
  release: string | null;
  /** Functions the tools call that the token's service does not hold; null: Moodle did not list the service's functions. */
  missingFunctions: string[] | null;
}

/** Every web service function some tool calls, sorted. */
export const TOOL_WSFUNCTIONS: readonly string[] = [...new Set(allTools.flatMap((t) => t.wsfunctions))].sort();

/** The site info fields read here (Moodle sends many more). */
interface RawSiteInfo {
  sitename?: string;
  release?: string;
  userid?: number;
  username?: string;
  fullname?: string;
  userissiteadmin?: boolean;
  functions?: { name: string }[];
}

export async function checkToken(baseUrl: string, token: string, timeoutMs: number): Promise<TokenCheck> {
  const client = new MoodleClient({ baseUrl, token, timeoutMs, retries: 1, maxSockets: 2 });
  let info: RawSiteInfo;
  try {
    info = await client.call<RawSiteInfo>('core_webservice_get_site_info', {});
  } catch (err) {
    if (!(err instanceof MoodleError)) throw err;
    // MoodleClient's messages are already free of the token.
    if (err.kind === 'invalid_token')
      throw new CliError(
        `Moodle does not accept this token (errorcode ${err.moodleErrorCode ?? 'invalidtoken'}): it is mistyped, expired, or its user or service is disabled`,
        1,
      );
    if (err.kind === 'function_unavailable')
      throw new CliError(
        `the token's service lacks core_webservice_get_site_info, which every tool needs: ask the Moodle administrator to add it to the external service`,
        1,
      );
    throw new CliError(`cannot check the token with Moodle: ${err.message}`, 1);
  } finally {
    client.close();
  }
  if (typeof info.userid !== 'number' || info.userid <= 0)
    throw new CliError(`Moodle's answer to core_webservice_get_site_info names no user (userid ${String(info.userid)}); is MOODLE_URL a Moodle site?`, 1);
  const functions = Array.isArray(info.functions) ? new Set(info.functions.map((f) => f.name)) : null;
  return {
    userId: info.userid,
    username: info.username ?? '',
    fullname: info.fullname ?? '',
    siteAdmin: info.userissiteadmin === true,
    siteName: info.sitename ?? '',
    release: info.release ?? null,
    missingFunctions: functions ? TOOL_WSFUNCTIONS.filter((f) => !functions.has(f)) : null,
  };
}

/** Moodle's errorcodes of login/token.php, and what the operator can do about each. */
const LOGIN_ERRORS: Record<string, (user: string, service: string) => string> = {
  enablewsdescription: () =>
    'web services are disabled on this Moodle: an administrator enables them (Site administration > General > Advanced features > Enable web services)',
  invalidlogin: (u) => `Moodle refused the username or password of ${u} (or the account is suspended, or its authentication method allows no login)`,
  servicenotavailable: (_u, s) =>
    `the external service "${s}" does not exist or is disabled on this Moodle (Site administration > Server > Web services > External services); MOODLE_SERVICE names it`,
  cannotcreatetoken: (u, s) =>
    `Moodle does not let ${u} create a token for "${s}" (it never does for a site administrator; others need moodle/webservice:createtoken): ask the Moodle administrator for a token (Site administration > Server > Web services > Manage tokens) and use --token-file`,
  usernotallowed: (u, s) =>
    `${u} is not an authorised user of the restricted service "${s}": the Moodle administrator adds them under the service's "Authorised users"`,
  missingrequiredcapability: (u, s) => `${u} lacks the capability that the service "${s}" requires`,
  sitemaintenance: () => 'Moodle is in maintenance mode; try again when it is over',
  noguest: () => 'the guest account cannot have a token',
  usernotconfirmed: (u) => `the account ${u} is not confirmed yet`,
  passwordisexpired: (u) => `the password of ${u} has expired: log in to Moodle in a browser once and change it`,
  restoredaccountresetpassword: (u) => `the account ${u} was restored from a backup: its password must be reset first`,
  invalidtimedtoken: (u) => `the existing token of ${u} has expired: the Moodle administrator deletes it (Manage tokens), then try again`,
  invalidiptoken: (u) => `the existing token of ${u} is restricted to other IP addresses`,
};

/** Asks Moodle for USER's token of SERVICE. The password is sent once, to Moodle only. */
export async function fetchToken(baseUrl: string, service: string, username: string, password: string, timeoutMs: number): Promise<string> {
  const url = `${baseUrl}/login/token.php`;
  const redact = (s: string) => (password && s.includes(password) ? s.split(password).join('[redacted]') : s);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({ username, password, service }).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    if (e.name === 'TimeoutError') throw new CliError(`Moodle did not answer ${url} within ${timeoutMs} ms`, 1);
    throw new CliError(`Moodle at ${new URL(baseUrl).host} is unreachable (${e.cause?.code ?? e.name ?? 'network error'})`, 1);
  }
  const text = await res.text();
  if (res.status >= 300 && res.status < 400)
    throw new CliError(`Moodle redirected ${url} to ${res.headers.get('location') ?? 'elsewhere'}: set MOODLE_URL to the site root it redirects to`, 1);
  if (res.status === 404) throw new CliError(`${url} does not exist (HTTP 404): is MOODLE_URL the Moodle site root?`, 1);
  let body: { token?: unknown; error?: unknown; errorcode?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    throw new CliError(`Moodle answered ${url} with HTTP ${res.status} and something that is not JSON: is MOODLE_URL the Moodle site root?`, 1);
  }
  if (typeof body.token === 'string' && body.token !== '') return body.token;
  const code = typeof body.errorcode === 'string' ? body.errorcode : 'unknown';
  const known = LOGIN_ERRORS[code];
  if (known) throw new CliError(`${known(username, service)} (errorcode ${code})`, 1);
  const said = typeof body.error === 'string' ? redact(body.error.slice(0, 300)) : `HTTP ${res.status}`;
  throw new CliError(`Moodle refused the login of ${username}: ${said} (errorcode ${code})`, 1);
}
