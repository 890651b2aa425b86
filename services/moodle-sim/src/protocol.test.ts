/**
 * The REST protocol as Moodle's server speaks it: token and service checks,
 * error bodies (HTTP 200), debug vs production error detail, XML without
 * moodlewsrestformat, query-string parameters, stats and the control routes.
 */
import { DEMO_TOKEN, RESTRICTED_TOKEN, STUDENT_TOKEN } from './auth/tokens';
import { SEED } from './seedIds';
import { startSim, type SimHandle } from './server';
import { rawCall } from './testing/call';
import { caller, startTestSim } from './testing/fixture';

let sim: SimHandle;
beforeAll(async () => {
  sim = await startTestSim();
});
afterAll(() => sim.stop());
const demo = caller(() => sim, DEMO_TOKEN);

describe('authentication and service checks', () => {
  it('answers an unknown token with invalidtoken, HTTP 200', async () => {
    const r = await rawCall(sim.url, 'core_webservice_get_site_info', {}, { token: 'nope' });
    expect([r.status, r.contentType, JSON.parse(r.text)]).toEqual([200, 'application/json', { exception: 'moodle_exception', errorcode: 'invalidtoken', message: 'Invalid token - token not found' }]);
  });

  it("answers a function outside the token's service with webservice_access_exception", async () => {
    const r = await caller(() => sim, RESTRICTED_TOKEN)('mod_assign_get_grades', { assignmentids: [1] });
    expect(r).toMatchObject({ exception: 'webservice_access_exception', errorcode: 'accessexception', debuginfo: expect.stringContaining('Access to the function mod_assign_get_grades() is not allowed.') });
    expect(r.message).toMatch(/^Access control exception \(/);
  });

  it('answers an unknown function and a missing function name like Moodle', async () => {
    expect(await demo('core_user_get_users')).toMatchObject({ exception: 'dml_missing_record_exception', errorcode: 'invalidrecord', debuginfo: expect.stringContaining('{external_functions} WHERE name') });
    expect(await demo('')).toMatchObject({ errorcode: 'invalidparameter', debuginfo: 'Missing function name' });
  });

  it('checks the token before the function', async () => {
    const r = await rawCall(sim.url, 'no_such_function', {}, { token: 'bad' });
    expect(JSON.parse(r.text).errorcode).toBe('invalidtoken');
  });

  it('answers unknown ids with invalidrecord', async () => {
    expect(await demo('core_course_get_contents', { courseid: SEED.missingId })).toMatchObject({ exception: 'dml_missing_record_exception', errorcode: 'invalidrecord', message: expect.stringMatching(/^Can not find data record in database table course\./) });
    expect(await demo('core_enrol_get_enrolled_users', { courseid: SEED.missingId })).toMatchObject({ errorcode: 'invalidrecord' });
    expect(await demo('gradereport_user_get_grade_items', { courseid: SEED.missingId })).toMatchObject({ errorcode: 'invalidrecord' });
  });

  it('answers a course the user is not enrolled in with require_login_exception', async () => {
    expect(await caller(() => sim, STUDENT_TOKEN)('gradereport_user_get_grade_items', { courseid: SEED.otherCourseId })).toEqual({ exception: 'require_login_exception', errorcode: 'requireloginerror', message: 'Course or activity not accessible.' });
  });
});

describe('parameter validation errors', () => {
  it('reports a missing required parameter', async () => {
    expect(await demo('core_course_get_contents')).toEqual({ exception: 'invalid_parameter_exception', errorcode: 'invalidparameter', message: 'Invalid parameter value detected (Missing required key in single structure: courseid)', debuginfo: 'Missing required key in single structure: courseid' });
  });

  it('reports an unexpected parameter', async () => {
    expect(await demo('core_course_get_contents', { courseid: 2, colour: 'red' })).toMatchObject({ debuginfo: 'Unexpected keys (colour) detected in parameter array.' });
  });

  it('reports a wrong type', async () => {
    expect(await demo('mod_assign_get_grades', { assignmentids: ['one'] })).toMatchObject({ debuginfo: 'assignmentids => Invalid parameter value detected: Invalid external api parameter: the value is "one", the server was expecting "int" type' });
    expect(await demo('mod_assign_get_grades', { assignmentids: 1 })).toMatchObject({ debuginfo: "assignmentids => Invalid parameter value detected: Only arrays accepted. The bad value is: '1'" });
  });

  it('without debugging, sends only exception, errorcode and the plain message', async () => {
    const prod = await startSim();
    try {
      const r = await rawCall(prod.url, 'core_course_get_contents', {}, { token: prod.token });
      expect(JSON.parse(r.text)).toEqual({ exception: 'invalid_parameter_exception', errorcode: 'invalidparameter', message: 'Invalid parameter value detected' });
    } finally {
      await prod.stop();
    }
  });
});

describe('formats and transport', () => {
  it('answers XML when moodlewsrestformat is missing', async () => {
    const ok = await rawCall(sim.url, 'core_course_get_courses', { options: { ids: [2] } }, { token: DEMO_TOKEN, format: null });
    expect(ok.contentType).toMatch(/^application\/xml/);
    expect(ok.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8" \?>\n<RESPONSE>\n<MULTIPLE>\n<SINGLE>\n<KEY name="id"><VALUE>2<\/VALUE>/);
    const err = await rawCall(sim.url, 'core_course_get_courses', {}, { token: 'bad', format: null });
    expect(err.text).toContain('<EXCEPTION class="moodle_exception">\n<ERRORCODE>invalidtoken</ERRORCODE>\n<MESSAGE>Invalid token - token not found</MESSAGE>');
  });

  it('answers save_grade with JSON null', async () => {
    const r = await rawCall(sim.url, 'mod_assign_save_grade', { assignmentid: 1, userid: 10, grade: 50, attemptnumber: -1, addattempt: 0, workflowstate: '', applytoall: 0 }, { token: DEMO_TOKEN });
    expect(r.text).toBe('null');
  });

  it('accepts parameters in the query string, as Moodle does', async () => {
    const res = await fetch(`${sim.url}/webservice/rest/server.php?wstoken=${DEMO_TOKEN}&wsfunction=core_course_get_courses&moodlewsrestformat=json&options[ids][0]=3`);
    expect(((await res.json()) as { id: number }[]).map((c) => c.id)).toEqual([3]);
  });

  it('answers /health with JSON', async () => {
    const res = await fetch(`${sim.url}/health`);
    expect([res.status, await res.json()]).toEqual([200, { status: 'ok', service: 'moodle-sim' }]);
  });
});

describe('request statistics', () => {
  it('counts every request per function and resets over HTTP', async () => {
    await fetch(`${sim.url}/__sim/stats/reset`, { method: 'POST' });
    await demo('core_course_get_courses');
    await demo('core_course_get_courses');
    await demo('core_webservice_get_site_info');
    await rawCall(sim.url, 'core_course_get_courses', {}, { token: 'bad' });
    expect(await (await fetch(`${sim.url}/__sim/stats`)).json()).toEqual({ total: 4, byFunction: { core_course_get_courses: 3, core_webservice_get_site_info: 1 } });
    expect(sim.stats().total).toBe(4);
    sim.resetStats();
    expect(sim.stats()).toEqual({ total: 0, byFunction: {} });
  });
});
