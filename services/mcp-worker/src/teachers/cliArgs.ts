/**
 * The teachers CLI's command line, parsed without I/O: argv in, a Command out,
 * or a CliError (exit 2) that names the bad argument. Options take their value
 * as `--opt VALUE` or `--opt=VALUE`; `--json` goes with every command.
 */
import { AppError } from '@moodle-mcp/common';
import { TEACHER_NAME_PATTERN } from './registry.js';

export const USAGE = `usage: moodle-mcp-teachers <command> [--json]
commands:
  add NAME [--token-file FILE | --moodle-username USER] [--read-only] [--courses 2,3] [--force] [--allow-admin]
      enrol teacher NAME (the CN of their client certificate) with their own Moodle token:
      from FILE, else one line on standard input (asked for without echo on a terminal);
      or log in to Moodle as USER (password asked once, never stored) and get the token
      of MOODLE_SERVICE. The token is checked with Moodle first.
  list                         every teacher: Moodle user, flags, last call, open sessions, problems
  show NAME                    one teacher
  set NAME [--read-only | --read-write] [--courses 2,3 | --all-courses] [--disable | --enable]
                               change flags; the workers apply them within seconds
  rotate NAME [--token-file FILE | --moodle-username USER] [--force] [--allow-admin]
                               replace NAME's token (the same Moodle user unless --force)
  revoke NAME                  delete NAME and their token; the workers close their sessions
environment: REGISTRY_URL, REGISTRY_PASSWORD, REGISTRY_KEY (32 bytes, hex or base64), REGISTRY_KEY_PREFIX (mcp),
  MOODLE_URL (add, rotate), MOODLE_SERVICE (moodle_mcp), MOODLE_TIMEOUT_MS; each also as NAME_FILE
exit codes: 0 done, 1 failed or refused, 2 usage or environment error`;

/** An error the CLI reports as one line, with its exit code: 1 failure, 2 usage. */
export class CliError extends AppError {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
    code = exitCode === 2 ? 'usage' : 'failed',
  ) {
    super(code, message);
  }
}

const usage = (message: string) => new CliError(`${message}\n(moodle-mcp-teachers --help shows every command)`, 2);

/** Where a new token comes from. */
export type TokenSource = { kind: 'file'; path: string } | { kind: 'login'; username: string } | { kind: 'stdin' };

export type Command =
  | { cmd: 'help' }
  | { cmd: 'list'; json: boolean }
  | { cmd: 'show'; name: string; json: boolean }
  | { cmd: 'revoke'; name: string; json: boolean }
  | { cmd: 'add'; name: string; json: boolean; source: TokenSource; readOnly: boolean; courses: number[] | null; force: boolean; allowAdmin: boolean }
  | { cmd: 'rotate'; name: string; json: boolean; source: TokenSource; force: boolean; allowAdmin: boolean }
  | { cmd: 'set'; name: string; json: boolean; readOnly?: boolean; courses?: number[] | null; disabled?: boolean };

type CommandName = Exclude<Command['cmd'], 'help'>;

/** Options of each command; true: takes a value. */
const OPTIONS: Record<CommandName, Record<string, boolean>> = {
  list: {},
  show: {},
  revoke: {},
  add: { 'token-file': true, 'moodle-username': true, 'read-only': false, courses: true, force: false, 'allow-admin': false },
  rotate: { 'token-file': true, 'moodle-username': true, force: false, 'allow-admin': false },
  set: { 'read-only': false, 'read-write': false, courses: true, 'all-courses': false, disable: false, enable: false },
};

export function parseArgs(argv: string[]): Command {
  if (argv.length === 0) throw new CliError(USAGE, 2);
  if (argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') return { cmd: 'help' };
  const [command, ...rest] = argv as [string, ...string[]];
  if (!(command in OPTIONS)) throw usage(`unknown command "${command}"; the commands are ${Object.keys(OPTIONS).join(', ')}`);
  const cmd = command as CommandName;
  const allowed = OPTIONS[cmd];
  const opts = new Map<string, string | true>();
  const operands: string[] = [];
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg !== '-') throw usage(`${cmd}: unknown option ${arg}`);
      operands.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const key = arg.slice(2, eq < 0 ? undefined : eq);
    if (key === 'json' && eq < 0) {
      json = true;
      continue;
    }
    if (!(key in allowed))
      throw usage(
        `${cmd}: unknown option --${key}${
          Object.keys(allowed).length
            ? ` (${cmd} takes ${Object.keys(allowed)
                .map((o) => `--${o}`)
                .join(', ')}, --json)`
            : ` (${cmd} takes --json only)`
        }`,
      );
    if (opts.has(key)) throw usage(`${cmd}: --${key} is given twice`);
    if (allowed[key]) {
      const value = eq < 0 ? rest[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw usage(`${cmd}: --${key} needs a value`);
      opts.set(key, value);
    } else {
      if (eq >= 0) throw usage(`${cmd}: --${key} takes no value`);
      opts.set(key, true);
    }
  }
  if (operands.length === 0 && cmd !== 'list') throw usage(`${cmd}: NAME is missing (moodle-mcp-teachers ${cmd} NAME ...)`);
  const expected = cmd === 'list' ? 0 : 1;
  if (operands.length > expected) throw usage(`${cmd}: unexpected argument "${operands[expected]}"`);
  if (cmd === 'list') return { cmd, json };
  const name = teacherName(operands[0]!);
  const str = (k: string) => opts.get(k) as string | undefined;
  const flag = (k: string) => opts.has(k);
  const exclusive = (a: string, b: string) => {
    if (flag(a) && flag(b)) throw usage(`${cmd}: --${a} and --${b} exclude each other`);
  };

  switch (cmd) {
    case 'show':
    case 'revoke':
      return { cmd, name, json };
    case 'add':
    case 'rotate': {
      exclusive('token-file', 'moodle-username');
      const source = tokenSource(str('token-file'), str('moodle-username'));
      const common = { name, json, source, force: flag('force'), allowAdmin: flag('allow-admin') };
      if (cmd === 'rotate') return { cmd, ...common };
      return { cmd, ...common, readOnly: flag('read-only'), courses: str('courses') === undefined ? null : courseList(str('courses')!) };
    }
    case 'set': {
      exclusive('read-only', 'read-write');
      exclusive('courses', 'all-courses');
      exclusive('disable', 'enable');
      if (opts.size === 0) throw usage('set: nothing to change; give --read-only or --read-write, --courses 2,3 or --all-courses, --disable or --enable');
      const out: Extract<Command, { cmd: 'set' }> = { cmd, name, json };
      if (flag('read-only') || flag('read-write')) out.readOnly = flag('read-only');
      if (flag('courses')) out.courses = courseList(str('courses')!);
      if (flag('all-courses')) out.courses = null;
      if (flag('disable') || flag('enable')) out.disabled = flag('disable');
      return out;
    }
  }
}

function teacherName(name: string): string {
  if (!TEACHER_NAME_PATTERN.test(name)) {
    throw usage(
      `invalid teacher name "${name.slice(0, 80)}": 1-64 letters, digits, . _ @ -, starting with a letter or digit (it is the CN of the teacher's client certificate)`,
    );
  }
  return name;
}

function tokenSource(file: string | undefined, username: string | undefined): TokenSource {
  if (file !== undefined) return { kind: 'file', path: file };
  if (username !== undefined) {
    if (!/^\S{1,100}$/.test(username)) throw usage(`--moodle-username: "${username.slice(0, 80)}" is not a Moodle username (1-100 characters, no white space)`);
    return { kind: 'login', username };
  }
  return { kind: 'stdin' };
}

/** "2,3" → [2, 3]: positive course ids, each once. */
export function courseList(text: string): number[] {
  const items = text.split(',').map((s) => s.trim());
  const out: number[] = [];
  for (const item of items) {
    if (!/^[1-9]\d{0,9}$/.test(item))
      throw usage(`--courses: "${item}" is not a course id; give positive whole numbers separated by commas, e.g. --courses 2,3`);
    const id = Number(item);
    if (!out.includes(id)) out.push(id);
  }
  return out;
}
