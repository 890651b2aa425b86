/** POST|GET /login/token.php as Moodle's login/token.php answers it. */
import { DEMO_TEACHERS, SIM_SERVICE_SHORTNAME } from './auth/demoTeachers';
import { startSim, type SimHandle } from './server';
import { call } from './testing/call';
import { TEST_NOW } from './testing/fixture';

let sim: SimHandle;
beforeAll(async () => {
  sim = await startSim({ now: TEST_NOW });
});
afterAll(() => sim.stop());

async function login(fields: Record<string, string>, method: 'GET' | 'POST' = 'POST'): Promise<{ status: number; contentType: string; body: any }> {
  const form = new URLSearchParams(fields).toString();
  const res =
    method === 'POST'
      ? await fetch(`${sim.url}/login/token.php`, { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })
      : await fetch(`${sim.url}/login/token.php?${form}`);
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.json() };
}

const moodleError = (error: string, errorcode: string) => ({ error, errorcode, stacktrace: null, debuginfo: null, reproductionlink: null });

describe('login/token.php', () => {
  it.each(DEMO_TEACHERS.map((t) => [t.name, t] as const))("gives %s their own token, which acts as that user", async (_name, t) => {
    const r = await login({ username: t.username, password: t.password, service: SIM_SERVICE_SHORTNAME });
    expect([r.status, r.contentType, r.body]).toEqual([200, 'application/json; charset=utf-8', { token: t.token, privatetoken: null }]);
    expect(t.token).toMatch(/^[A-Za-z0-9]{32,128}$/);
    expect((await call(sim.url, r.body.token, 'core_webservice_get_site_info')).userid).toBe(t.userid);
  });

  it('accepts GET, and the username in any case', async () => {
    const t = DEMO_TEACHERS[0]!;
    expect((await login({ username: t.username.toUpperCase(), password: t.password, service: SIM_SERVICE_SHORTNAME }, 'GET')).body.token).toBe(t.token);
  });

  it('answers wrong credentials with invalidlogin, HTTP 200', async () => {
    const t = DEMO_TEACHERS[0]!;
    for (const fields of [{ username: t.username, password: 'wrong' }, { username: 'nobody', password: t.password }, { username: 'admin', password: '' }]) {
      const r = await login({ ...fields, service: SIM_SERVICE_SHORTNAME });
      expect([r.status, r.body]).toEqual([200, moodleError('Invalid login, please try again', 'invalidlogin')]);
    }
  });

  it('checks the credentials before the service, then answers an unknown service with servicenotavailable', async () => {
    const t = DEMO_TEACHERS[1]!;
    expect((await login({ username: t.username, password: 'x', service: 'nope' })).body.errorcode).toBe('invalidlogin');
    expect((await login({ username: t.username, password: t.password, service: 'moodle_mobile_app' })).body).toEqual(moodleError("Web service is not available (it doesn't exist or might be disabled)", 'servicenotavailable'));
  });

  it('names the first missing parameter (missingparam)', async () => {
    expect((await login({ password: 'x', service: SIM_SERVICE_SHORTNAME })).body).toEqual(moodleError('A required parameter (username) was missing', 'missingparam'));
    expect((await login({ username: 'jnoor' })).body).toEqual(moodleError('A required parameter (password) was missing', 'missingparam'));
    expect((await login({ username: 'jnoor', password: 'x' })).body.errorcode).toBe('missingparam');
  });

  it('answers the app site check', async () => {
    expect((await login({ appsitecheck: '1' })).body).toEqual({ appsitecheck: 'ok' });
  });

  it('answers cannotcreatetoken when the user has no token for the service', async () => {
    const only = await startSim({ now: TEST_NOW, tokens: {} });
    try {
      const t = DEMO_TEACHERS[3]!;
      const res = await fetch(`${only.url}/login/token.php?${new URLSearchParams({ username: t.username, password: t.password, service: SIM_SERVICE_SHORTNAME })}`);
      expect(await res.json()).toEqual(moodleError(`No permission to create web service token for the service ${SIM_SERVICE_SHORTNAME}.`, 'cannotcreatetoken'));
    } finally {
      await only.stop();
    }
  });

  it('with developer debugging, fills debuginfo and reproductionlink', async () => {
    const dbg = await startSim({ now: TEST_NOW, debug: true });
    try {
      const res = await fetch(`${dbg.url}/login/token.php?username=x&password=y&service=${SIM_SERVICE_SHORTNAME}`);
      expect(await res.json()).toMatchObject({ errorcode: 'invalidlogin', debuginfo: '\nError code: invalidlogin', reproductionlink: `${dbg.url}/` });
    } finally {
      await dbg.stop();
    }
  });
});
