/**
 * The demo teachers: one web service token and one password each, so every
 * teacher acts in the simulated Moodle as themselves and the sim's permission
 * checks decide, as Moodle's would. `name` is the lower-case TLS client
 * certificate CN the stack maps to the teacher. Tokens are 32–128 letters or
 * digits (what SIM_TOKEN and the workers accept); passwords are demo values
 * for POST /login/token.php. Never log either.
 */

/** The external service every sim token belongs to (login/token.php `service`). */
export const SIM_SERVICE_SHORTNAME = 'moodle_mcp';

export interface DemoTeacher {
  /** Lower-case name, the client certificate CN. */
  name: string;
  userid: number;
  username: string;
  password: string;
  /** Permanent token for SIM_SERVICE_SHORTNAME, with the user's own role capabilities. */
  token: string;
  /** What the teacher may do, in words. */
  note: string;
}

export const DEMO_TEACHERS: readonly DemoTeacher[] = [
  {
    name: 'tessa',
    userid: 3,
    username: 'tlindqvist',
    password: 'Demo-tessa-2026',
    token: '7e55a1d9c0ffee000moodlesim0teacher03',
    note: 'Teacher (editing) in BIO101, CHEM201, MATH110 and HIST150 (courses 2-5).',
  },
  {
    name: 'marcus',
    userid: 4,
    username: 'mokafor',
    password: 'Demo-marcus-2026',
    token: '3a2c05d9c0ffee000moodlesim0teacher04',
    note: 'Non-editing teacher in BIO101 (2); teacher (editing) in HIST150, LIT220 and PHIL100 (5-7, PHIL100 hidden).',
  },
  {
    name: 'priya',
    userid: 5,
    username: 'praman',
    password: 'Demo-priya-2026',
    token: '9217a5d9c0ffee000moodlesim0teacher05',
    note: 'Non-editing teacher in CHEM201, MATH110 and LIT220 (3, 4, 6); teacher (editing) in PHIL100 (7, hidden).',
  },
  {
    name: 'jonas',
    userid: 6,
    username: 'jnoor',
    password: 'Demo-jonas-2026',
    token: '90a5a5d9c0ffee000moodlesim0teacher06',
    note: 'Teaching assistant (non-editing) in BIO101 and LIT220 (2, 6): reads submissions, grades and reports; grading is prohibited there by a course role override.',
  },
];
