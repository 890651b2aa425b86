import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { DEMO_TEACHERS, DEMO_TOKEN, FUNCTION_NAMES, startSim, testTokens, type SimHandle } from '@moodle-mcp/moodle-sim';
import { freePort, startRedis, type TestRedis } from '../../../test/helpers/redis.js';
import { TokenCipher } from '../src/teachers/cipher.js';
import { TOOL_WSFUNCTIONS } from '../src/teachers/cliMoodle.js';
import { TeacherRegistry } from '../src/teachers/registry.js';

/**
 * The teachers CLI as an operator runs it: the built `dist/teachersCli.js` as a
 * child process, against a real redis-server (with a password) as the
 * registry and moodle-sim as Moodle (its demo teachers, their tokens and
 * passwords, and POST /login/token.php). Every line the CLI prints, in every
 * test, is checked for every token, password and key it was given.
 */
const CLI = path.resolve(__dirname, '../dist/teachersCli.js');
const PREFIX = 'clitest';
const REGISTRY_PASSWORD = `registry-${randomBytes(8).toString('hex')}`;
const KEY = randomBytes(32).toString('hex');
const OTHER_KEY = randomBytes(32).toString('hex');
/** A teacher's token whose external service holds only two functions. */
const LIMITED_TOKEN = `11m17ed0${randomBytes(12).toString('hex')}`;
const LIMITED_FUNCTIONS = ['core_webservice_get_site_info', 'core_course_get_courses'];

const teacher = (name: string) => DEMO_TEACHERS.find((t) => t.name === name)!;
const tessa = teacher('tessa');
const marcus = teacher('marcus');
const SECRETS = [REGISTRY_PASSWORD, KEY, OTHER_KEY, LIMITED_TOKEN, DEMO_TOKEN, ...DEMO_TEACHERS.flatMap((t) => [t.token, t.password])];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('moodle-mcp-teachers (the teacher registry CLI)', () => {
  let redis: TestRedis;
  let sim: SimHandle;
  let raw: Redis;
  let dir: string;
  let env: Record<string, string>;

  const file = (name: string, content: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, content, { mode: 0o600 });
    return p;
  };

  /** Runs the CLI; `stdin` is written and closed (a pipe, as in scripts). */
  async function cli(args: string[], opts: { stdin?: string; env?: Record<string, string | undefined> } = {}): Promise<Run> {
    const merged: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...env, ...opts.env })) if (v !== undefined) merged[k] = v;
    const child = spawn(process.execPath, [CLI, ...args], { env: merged, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    for (const secret of SECRETS) {
      expect(stdout).not.toContain(secret);
      expect(stderr).not.toContain(secret);
    }
    return { code, stdout, stderr };
  }

  const showJson = async (name: string, extraEnv: Record<string, string> = {}) => {
    const r = await cli(['show', name, '--json'], { env: extraEnv });
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout);
  };

  beforeAll(async () => {
    redis = await startRedis({ password: REGISTRY_PASSWORD });
    sim = await startSim({ port: 0, tokens: { ...testTokens(), [LIMITED_TOKEN]: { userid: teacher('priya').userid, functions: LIMITED_FUNCTIONS } } });
    raw = new Redis(redis.url, { password: REGISTRY_PASSWORD });
    dir = mkdtempSync(path.join(os.tmpdir(), 'teachers-cli-'));
    env = {
      PATH: process.env.PATH ?? '',
      REGISTRY_URL: redis.url,
      REGISTRY_PASSWORD_FILE: file('registry.password', `${REGISTRY_PASSWORD}\n`),
      REGISTRY_KEY_FILE: file('registry.key', `${KEY}\n`),
      REGISTRY_KEY_PREFIX: PREFIX,
      MOODLE_URL: sim.url,
      MOODLE_TIMEOUT_MS: '5000',
    };
  });

  afterAll(async () => {
    raw?.disconnect();
    await sim?.stop();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('enrols a teacher with a token on standard input, and list shows their Moodle user', async () => {
    const add = await cli(['add', 'tessa'], { stdin: `${tessa.token}\n` });
    expect(add.code).toBe(0);
    expect(add.stdout).toContain(`added tessa: acts in Moodle as ${tessa.userid} ${tessa.username}`);

    const list = await cli(['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`tessa\\s+${tessa.userid} ${tessa.username}`));
    expect(list.stdout).toContain('read-write, all courses');

    const json = JSON.parse((await cli(['list', '--json'])).stdout);
    expect(json.teachers).toEqual([
      expect.objectContaining({
        name: 'tessa',
        ok: true,
        moodleUser: expect.objectContaining({ id: tessa.userid, username: tessa.username }),
        readOnly: false,
        courses: null,
        disabled: false,
      }),
    ]);
    expect(json.teachers[0]).not.toHaveProperty('token');
  });

  it('stores the token encrypted: the raw registry hash holds no trace of it', async () => {
    const stored = await raw.hget(`${PREFIX}:registry:v1:teachers`, 'tessa');
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(tessa.token);
    expect(JSON.parse(stored!).token).toMatch(new RegExp(`^v1\\.${new TokenCipher(Buffer.from(KEY, 'hex')).keyId}\\.`));
  });

  it("refuses a site administrator's token and says why, unless --allow-admin", async () => {
    const tokenFile = file('admin.token', `${DEMO_TOKEN}\n`);
    const refused = await cli(['add', 'root-ish', '--token-file', tokenFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('a Moodle site administrator: root-ish would act with admin powers');
    expect(await raw.hexists(`${PREFIX}:registry:v1:teachers`, 'root-ish')).toBe(0);

    const allowed = await cli(['add', 'root-ish', '--token-file', tokenFile, '--allow-admin']);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toContain('is a site administrator');
    expect((await cli(['revoke', 'root-ish'])).code).toBe(0);
  });

  it('refuses a bad name, an unknown option and a missing NAME with exit 2, naming the argument', async () => {
    const bad = await cli(['add', 'bad name'], { stdin: `${tessa.token}\n` });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid teacher name "bad name"');

    const option = await cli(['add', 'ok', '--read-only', '--colors']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('unknown option --colors');

    const missing = await cli(['revoke']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('revoke: NAME is missing');

    const courses = await cli(['set', 'tessa', '--courses', '2,x']);
    expect(courses.code).toBe(2);
    expect(courses.stderr).toContain('--courses: "x" is not a course id');
  });

  it('refuses to replace an existing teacher unless --force', async () => {
    const again = await cli(['add', 'tessa'], { stdin: `${tessa.token}\n` });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`teacher tessa exists (Moodle user ${tessa.userid} ${tessa.username})`);
  });

  it("warns which of the tools' functions the token's service lacks, and records them", async () => {
    const r = await cli(['add', 'limited', '--token-file', file('limited.token', LIMITED_TOKEN), '--read-only', '--courses', '3,4']);
    expect(r.code).toBe(0);
    const missing = TOOL_WSFUNCTIONS.filter((f) => !LIMITED_FUNCTIONS.includes(f));
    expect(missing.length).toBeGreaterThan(0);
    expect(r.stderr).toContain(`lacks ${missing.length} function(s) the tools call: ${missing.join(', ')}`);
    expect(await showJson('limited')).toMatchObject({ readOnly: true, courses: [3, 4], missingFunctions: missing });
  });

  it("gets the token from Moodle's login/token.php with --moodle-username (password once, on standard input)", async () => {
    const r = await cli(['add', 'marcus', '--moodle-username', marcus.username], { stdin: `${marcus.password}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`added marcus: acts in Moodle as ${marcus.userid} ${marcus.username}`);
    // The sim's service holds every function it simulates.
    const missing = TOOL_WSFUNCTIONS.filter((f) => !FUNCTION_NAMES.includes(f));
    expect(await showJson('marcus')).toMatchObject({ moodleUser: { id: marcus.userid, username: marcus.username }, missingFunctions: missing });
    // What Moodle issued is what is stored.
    const registry = new TeacherRegistry({
      url: redis.url,
      password: REGISTRY_PASSWORD,
      keyPrefix: PREFIX,
      cipher: new TokenCipher(Buffer.from(KEY, 'hex')),
      connectionName: 'test',
      failFast: false,
    });
    try {
      const read = await registry.read('marcus');
      expect(read?.ok && read.teacher.token).toBe(marcus.token);
    } finally {
      await registry.close();
    }
  });

  it("maps login/token.php's errorcodes to what to do", async () => {
    const wrong = await cli(['add', 'marcus2', '--moodle-username', marcus.username], { stdin: 'not-the-password\n' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`Moodle refused the username or password of ${marcus.username}`);
    expect(wrong.stderr).toContain('(errorcode invalidlogin)');

    const service = await cli(['add', 'marcus2', '--moodle-username', marcus.username], {
      stdin: `${marcus.password}\n`,
      env: { MOODLE_SERVICE: 'no_such_service' },
    });
    expect(service.code).toBe(1);
    expect(service.stderr).toContain('the external service "no_such_service" does not exist or is disabled');

    const noPassword = await cli(['add', 'marcus2', '--moodle-username', marcus.username], { stdin: '' });
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain(`no password for ${marcus.username}`);
  });

  it('changes flags with set, and show and list report them', async () => {
    const r = await cli(['set', 'tessa', '--read-only', '--courses', '2,3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('tessa: read-only, courses 2,3 (was read-write, all courses)');
    expect(await showJson('tessa')).toMatchObject({ readOnly: true, courses: [2, 3], disabled: false });

    const disabled = await cli(['set', 'tessa', '--disable', '--all-courses', '--read-write']);
    expect(disabled.code).toBe(0);
    expect(disabled.stdout).toContain("tessa's open sessions are closed");
    expect(await showJson('tessa')).toMatchObject({ readOnly: false, courses: null, disabled: true });
    expect((await cli(['list'])).stdout).toContain('DISABLED, read-write, all courses');

    expect((await cli(['set', 'tessa', '--enable'])).code).toBe(0);
    const nothing = await cli(['set', 'tessa']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('set: nothing to change');
  });

  it('rotates a token, refusing one of another Moodle user unless --force, and keeps the flags', async () => {
    await cli(['set', 'tessa', '--read-only']);
    const other = await cli(['rotate', 'tessa', '--token-file', file('marcus.token', marcus.token)]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(
      `the new token acts as Moodle user ${marcus.userid} ${marcus.username}, not as tessa's user ${tessa.userid} ${tessa.username}`,
    );

    const same = await cli(['rotate', 'tessa'], { stdin: `${tessa.token}\n` });
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('rotated tessa');
    expect(await showJson('tessa')).toMatchObject({ moodleUser: { id: tessa.userid }, readOnly: true });

    const unknown = await cli(['rotate', 'nobody'], { stdin: `${tessa.token}\n` });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no teacher "nobody" in the registry');
  });

  it("shows each teacher's last call and open sessions, as the workers report them", async () => {
    const registry = new TeacherRegistry({
      url: redis.url,
      password: REGISTRY_PASSWORD,
      keyPrefix: PREFIX,
      cipher: new TokenCipher(Buffer.from(KEY, 'hex')),
      connectionName: 'test',
      failFast: false,
    });
    const seenAt = Date.parse('2026-03-04T05:06:07.000Z');
    try {
      await registry.markSeen(new Map([['tessa', seenAt]]));
      await registry.reportPresence('worker-a', new Map([['tessa', 2]]), 60_000);
      await registry.reportPresence('worker-b', new Map([['tessa', 1]]), 60_000);
    } finally {
      await registry.close();
    }
    expect(await showJson('tessa')).toMatchObject({ lastSeen: '2026-03-04T05:06:07.000Z', sessions: 3 });
    expect((await cli(['list'])).stdout).toMatch(/tessa .*2026-03-04 05:06 UTC \(\d+ (days|h|min|s) ago\)\s+3/);
  });

  it('reports records that do not decrypt under a wrong REGISTRY_KEY, with both key ids, without crashing', async () => {
    const wrongKey = { REGISTRY_KEY_FILE: file('other.key', OTHER_KEY) };
    const ids = { stored: new TokenCipher(Buffer.from(KEY, 'hex')).keyId, other: new TokenCipher(Buffer.from(OTHER_KEY, 'hex')).keyId };
    const list = await cli(['list'], { env: wrongKey });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`registry key id ${ids.other}`);
    expect(list.stdout).toContain(`tessa: the stored token of tessa was encrypted under another REGISTRY_KEY (key id ${ids.stored}; this one is ${ids.other})`);
    const json = JSON.parse((await cli(['list', '--json'], { env: wrongKey })).stdout);
    expect(json.teachers.every((t: { ok: boolean }) => !t.ok)).toBe(true);

    const set = await cli(['set', 'tessa', '--read-write'], { env: wrongKey });
    expect(set.code).toBe(1);
    expect(set.stderr).toContain('cannot set tessa: the stored token of tessa was encrypted under another REGISTRY_KEY');
  });

  it('revokes a teacher (without needing the key), and says so for an unknown one', async () => {
    const r = await cli(['revoke', 'limited'], { env: { REGISTRY_KEY_FILE: undefined } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('revoked limited');
    expect(await raw.hexists(`${PREFIX}:registry:v1:teachers`, 'limited')).toBe(0);

    const show = await cli(['show', 'limited']);
    expect(show.code).toBe(1);
    expect(show.stderr).toContain('no teacher "limited" in the registry');
    expect((await cli(['revoke', 'limited'])).code).toBe(1);
  });

  it('names every bad variable with exit 2, never echoing a value', async () => {
    const r = await cli(['list'], { env: { REGISTRY_KEY_FILE: undefined, REGISTRY_KEY: `${DEMO_TOKEN}`, REGISTRY_URL: 'http://not-redis' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('REGISTRY_KEY: must be 32 random bytes');
    expect(r.stderr).toContain('REGISTRY_URL: must be a redis://');
    const noMoodle = await cli(['add', 'x'], { env: { MOODLE_URL: undefined } });
    expect(noMoodle.code).toBe(2);
    expect(noMoodle.stderr).toContain('MOODLE_URL: is not set');
  });

  it('fails with exit 1 and says where, when the registry does not answer or the password is wrong', async () => {
    const port = await freePort();
    const down = await cli(['list'], { env: { REGISTRY_URL: `redis://127.0.0.1:${port}` } });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`the teacher registry at 127.0.0.1:${port} did not accept a connection`);

    const wrong = await cli(['list'], { env: { REGISTRY_PASSWORD_FILE: file('wrong.password', 'wrong-password-value') } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('REGISTRY_PASSWORD');
  }, 30_000);
});
