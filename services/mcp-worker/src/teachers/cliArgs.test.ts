import { CliError, courseList, parseArgs } from './cliArgs';

const usageError = (argv: string[]): CliError => {
  try {
    parseArgs(argv);
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error(`parseArgs(${JSON.stringify(argv)}) did not fail`);
};

describe('the teachers CLI command line', () => {
  it('reads add with a token file, flags and courses, in either option form', () => {
    expect(parseArgs(['add', 'alice', '--token-file=/run/t', '--read-only', '--courses', '2, 3,2', '--json'])).toEqual({
      cmd: 'add',
      name: 'alice',
      json: true,
      source: { kind: 'file', path: '/run/t' },
      readOnly: true,
      courses: [2, 3],
      force: false,
      allowAdmin: false,
    });
  });

  it('takes the token from standard input when no source is given, and from a login with --moodle-username', () => {
    expect(parseArgs(['add', 'a.b@school'])).toMatchObject({ cmd: 'add', source: { kind: 'stdin' } });
    expect(parseArgs(['rotate', 'alice', '--moodle-username', 'alice.t', '--force'])).toMatchObject({
      cmd: 'rotate',
      source: { kind: 'login', username: 'alice.t' },
      force: true,
    });
  });

  it('reads set as only the flags given', () => {
    expect(parseArgs(['set', 'alice', '--read-write', '--all-courses'])).toEqual({ cmd: 'set', name: 'alice', json: false, readOnly: false, courses: null });
    expect(parseArgs(['set', 'alice', '--disable'])).toEqual({ cmd: 'set', name: 'alice', json: false, disabled: true });
  });

  it.each([
    [['add', '-bad'], 'unknown option -bad'],
    [['add', '.alice'], 'invalid teacher name ".alice"'],
    [['add', 'alice', '--token-file', 'f', '--moodle-username', 'u'], '--token-file and --moodle-username exclude each other'],
    [['add', 'alice', '--token-file'], '--token-file needs a value'],
    [['add', 'alice', '--token-file', '--force'], '--token-file needs a value'],
    [['add', 'alice', '--force', '--force'], '--force is given twice'],
    [['add', 'alice', '--force=yes'], '--force takes no value'],
    [['add', 'alice', 'bob'], 'unexpected argument "bob"'],
    [['revoke', 'alice', '--force'], 'revoke: unknown option --force (revoke takes --json only)'],
    [['rotate', 'alice', '--read-only'], 'rotate: unknown option --read-only'],
    [['set', 'alice'], 'set: nothing to change'],
    [['set', 'alice', '--read-only', '--read-write'], '--read-only and --read-write exclude each other'],
    [['set', 'alice', '--courses', '0'], '--courses: "0" is not a course id'],
    [['show'], 'show: NAME is missing'],
    [['list', 'extra'], 'unexpected argument "extra"'],
    [['enrol', 'alice'], 'unknown command "enrol"'],
  ])('refuses %j with exit 2: %s', (argv, message) => {
    const err = usageError(argv);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(message);
  });

  it('answers --help anywhere with the usage', () => {
    expect(parseArgs(['add', '--help'])).toEqual({ cmd: 'help' });
    expect(usageError([]).message).toContain('usage: moodle-mcp-teachers');
  });

  it('keeps each course id once, in the order given', () => {
    expect(courseList('4,2,4')).toEqual([4, 2]);
  });
});
