/**
 * The teachers CLI's commands over the registry (registry.ts) and Moodle
 * (cliMoodle.ts). Each one either succeeds and prints its result (a table
 * for people, JSON with --json), or throws a CliError; teachersCli.ts maps
 * those to exit codes at one place. A token only ever passes from its source
 * to Moodle's check and registry.put.
 */
import { CliError, type Command, type TokenSource } from './cliArgs.js';
import { TOKEN_SCHEMA, type CliConfig } from './cliConfig.js';
import { readSecretLine, readTokenFile, type SecretInput } from './cliInput.js';
import { checkToken, fetchToken, type TokenCheck } from './cliMoodle.js';
import { flagsText, listLines, moodleUserText, type Output, showLines, teacherView, type TeacherView } from './cliOutput.js';
import type { Teacher, TeacherRegistry } from './registry.js';

export interface CliDeps {
  registry: Pick<TeacherRegistry, 'read' | 'readAll' | 'put' | 'remove' | 'lastSeen' | 'presence'>;
  /** Of REGISTRY_KEY (cipher.ts); tells which key records were written under. */
  keyId: string;
  config: CliConfig;
  out: Output;
  stdin: SecretInput;
  now: () => number;
}

export async function runCommand(cmd: Exclude<Command, { cmd: 'help' }>, deps: CliDeps): Promise<void> {
  switch (cmd.cmd) {
    case 'list':
      return list(cmd, deps);
    case 'show':
      return show(cmd, deps);
    case 'revoke':
      return revoke(cmd, deps);
    case 'add':
      return add(cmd, deps);
    case 'rotate':
      return rotate(cmd, deps);
    case 'set':
      return set(cmd, deps);
  }
}

async function list(cmd: { json: boolean }, d: CliDeps): Promise<void> {
  const [all, seen, presence] = await Promise.all([d.registry.readAll(), d.registry.lastSeen(), d.registry.presence()]);
  const views = all.map((r) => teacherView(r, seen, presence)).sort((a, b) => a.name.localeCompare(b.name));
  if (cmd.json) d.out.json({ keyId: d.keyId, teachers: views });
  else d.out.lines(listLines(views, d.keyId, d.now()));
}

async function show(cmd: { name: string; json: boolean }, d: CliDeps): Promise<void> {
  const view = await viewOf(cmd.name, d);
  if (cmd.json) d.out.json(view);
  else d.out.lines(showLines(view, d.now()));
}

async function revoke(cmd: { name: string; json: boolean }, d: CliDeps): Promise<void> {
  if (!(await d.registry.remove(cmd.name))) throw unknownTeacher(cmd.name);
  if (cmd.json) return d.out.json({ revoked: cmd.name });
  d.out.lines([
    `revoked ${cmd.name}: their record and stored token are deleted; the workers close ${cmd.name}'s open sessions within seconds`,
    `  the token itself stays valid in Moodle: if it may have leaked, delete it there (Site administration > Server > Web services > Manage tokens)`,
  ]);
}

async function add(cmd: Extract<Command, { cmd: 'add' }>, d: CliDeps): Promise<void> {
  const existing = await d.registry.read(cmd.name);
  if (existing && !cmd.force) {
    const who = existing.ok
      ? ` (Moodle user ${existing.teacher.moodleUserId} ${existing.teacher.moodleUsername})`
      : ` (its record cannot be read: ${existing.problem})`;
    throw new CliError(
      `teacher ${cmd.name} exists${who}: \`rotate ${cmd.name}\` replaces the token, \`set ${cmd.name}\` changes flags, --force replaces the whole record`,
      1,
    );
  }
  const token = await obtainToken(cmd.source, cmd.name, d);
  const check = await checkAndWarn(cmd.name, token, cmd.allowAdmin, d);
  await warnSharedUser(cmd.name, check, d);
  const now = d.now();
  const teacher: Teacher = {
    name: cmd.name,
    token,
    ...moodleFields(check),
    readOnly: cmd.readOnly,
    courses: cmd.courses,
    disabled: false,
    createdAt: now,
    updatedAt: now,
  };
  await d.registry.put(teacher);
  await report(existing ? 'replaced' : 'added', cmd, check, d);
}

async function rotate(cmd: Extract<Command, { cmd: 'rotate' }>, d: CliDeps): Promise<void> {
  const current = await readUsable(cmd.name, 'rotate', d);
  const token = await obtainToken(cmd.source, cmd.name, d);
  const check = await checkAndWarn(cmd.name, token, cmd.allowAdmin, d);
  if (check.userId !== current.moodleUserId) {
    const other = `the new token acts as Moodle user ${check.userId} ${check.username}, not as ${cmd.name}'s user ${current.moodleUserId} ${current.moodleUsername}`;
    if (!cmd.force) throw new CliError(`${other}: nothing changed (--force stores it anyway, if ${cmd.name} really is that Moodle user now)`, 1);
    d.out.warn(`${other} (--force: stored anyway)`);
  }
  await d.registry.put({ ...current, token, ...moodleFields(check), updatedAt: d.now() });
  await report('rotated', cmd, check, d);
}

async function set(cmd: Extract<Command, { cmd: 'set' }>, d: CliDeps): Promise<void> {
  const current = await readUsable(cmd.name, 'set', d);
  const next = {
    readOnly: cmd.readOnly ?? current.readOnly,
    courses: cmd.courses === undefined ? current.courses : cmd.courses,
    disabled: cmd.disabled ?? current.disabled,
  };
  const changed = next.readOnly !== current.readOnly || next.disabled !== current.disabled || JSON.stringify(next.courses) !== JSON.stringify(current.courses);
  if (changed) await d.registry.put({ ...current, ...next, updatedAt: d.now() });
  const view = await viewOf(cmd.name, d);
  if (cmd.json) return d.out.json({ changed, teacher: view });
  d.out.lines([
    changed
      ? `${cmd.name}: ${flagsText(next)} (was ${flagsText(current)}); the workers apply it within seconds`
      : `${cmd.name}: unchanged (${flagsText(next)})`,
    ...(changed && next.disabled && !current.disabled
      ? [`  ${cmd.name}'s open sessions are closed and new ones refused until \`set ${cmd.name} --enable\``]
      : []),
  ]);
}

/** The stored teacher NAME, decrypted; a clear failure when there is none or it cannot be read. */
async function readUsable(name: string, verb: string, d: CliDeps): Promise<Teacher> {
  const r = await d.registry.read(name);
  if (!r) throw unknownTeacher(name);
  if (!r.ok) throw new CliError(`cannot ${verb} ${name}: ${r.problem}; \`add ${name} --force\` stores a new token`, 1);
  return r.teacher;
}

async function viewOf(name: string, d: CliDeps): Promise<TeacherView> {
  const [r, seen, presence] = await Promise.all([d.registry.read(name), d.registry.lastSeen(), d.registry.presence()]);
  if (!r) throw unknownTeacher(name);
  return teacherView(r, seen, presence);
}

const unknownTeacher = (name: string) => new CliError(`no teacher "${name}" in the registry (moodle-mcp-teachers list shows who is there)`, 1);

function moodleFields(check: TokenCheck) {
  return { moodleUserId: check.userId, moodleUsername: check.username, moodleFullname: check.fullname, missingFunctions: check.missingFunctions ?? [] };
}

/** The new token, from its source; registered with the output's redaction before anything else happens. */
async function obtainToken(source: TokenSource, name: string, d: CliDeps): Promise<string> {
  let token: string;
  if (source.kind === 'file') token = readTokenFile(source.path);
  else if (source.kind === 'stdin') {
    token = await readSecretLine(d.stdin, d.out.prompts, `Moodle web service token of ${name} (not shown): `, true);
    if (token === '') throw new CliError('no token: give it on standard input (one line), or --token-file FILE, or --moodle-username USER', 2);
  } else {
    const password = await readSecretLine(d.stdin, d.out.prompts, `Moodle password of ${source.username} (used once to get the token; not stored): `, false);
    d.out.addSecret(password);
    if (password === '') throw new CliError(`no password for ${source.username}: type it when asked, or give it as one line on standard input`, 2);
    token = await fetchToken(moodleUrl(d), d.config.MOODLE_SERVICE, source.username, password, d.config.MOODLE_TIMEOUT_MS);
  }
  d.out.addSecret(token);
  const shape = TOKEN_SCHEMA.safeParse(token);
  if (!shape.success) throw new CliError(`that is not a Moodle web service token: it ${shape.error.issues[0]?.message ?? 'is malformed'}`, 2);
  return token;
}

/** Checks the token with Moodle; refuses a site administrator's unless allowed; warns about missing functions. */
async function checkAndWarn(name: string, token: string, allowAdmin: boolean, d: CliDeps): Promise<TokenCheck> {
  const check = await checkToken(moodleUrl(d), token, d.config.MOODLE_TIMEOUT_MS);
  const who = `Moodle user ${check.userId} ${check.username}`;
  if (check.siteAdmin && !allowAdmin) {
    throw new CliError(
      `the token belongs to ${who}, a Moodle site administrator: ${name} would act with admin powers (every course, every user, site settings), ` +
        `not as a teacher. Use a token of ${name}'s own teacher account, or --allow-admin if that is really meant`,
      1,
    );
  }
  if (check.siteAdmin) d.out.warn(`${who} is a site administrator: ${name} acts with admin powers in Moodle (--allow-admin)`);
  if (check.missingFunctions === null)
    d.out.warn(`Moodle did not list the functions of the token's service; the tools that need a missing one will fail for ${name}`);
  else if (check.missingFunctions.length > 0) {
    d.out.warn(
      `the token's external service lacks ${check.missingFunctions.length} function(s) the tools call: ${check.missingFunctions.join(', ')}. ` +
        `Those tools fail for ${name} until the Moodle administrator adds them to the service`,
    );
  }
  return check;
}

async function warnSharedUser(name: string, check: TokenCheck, d: CliDeps): Promise<void> {
  const others = (await d.registry.readAll())
    .filter((r) => r.ok && r.teacher.name !== name && r.teacher.moodleUserId === check.userId)
    .map((r) => (r.ok ? r.teacher.name : ''));
  if (others.length)
    d.out.warn(
      `${others.join(', ')} act${others.length === 1 ? 's' : ''} as the same Moodle user ${check.userId} ${check.username}: they see and change the same things`,
    );
}

function moodleUrl(d: CliDeps): string {
  // loadCliConfig requires it for the commands that reach here.
  if (!d.config.MOODLE_URL) throw new CliError('MOODLE_URL is not set', 2);
  return d.config.MOODLE_URL;
}

async function report(action: 'added' | 'replaced' | 'rotated', cmd: { name: string; json: boolean }, check: TokenCheck, d: CliDeps): Promise<void> {
  const view = await viewOf(cmd.name, d);
  if (cmd.json) return d.out.json({ action, site: { name: check.siteName, release: check.release }, teacher: view });
  d.out.lines([
    `${action} ${cmd.name}: acts in Moodle as ${moodleUserText({ id: check.userId, username: check.username, fullname: check.fullname })} on ${check.siteName || d.config.MOODLE_URL}`,
    `  flags: ${view.ok ? flagsText(view) : '?'}; the token is stored encrypted (key id ${d.keyId})`,
    action === 'rotated' ? `  the workers use the new token within seconds` : `  ${cmd.name} connects with a client certificate whose CN is ${cmd.name}`,
  ]);
}
