/**
 * For the tool tests: a real moodle-sim on a free port and MoodleClients
 * talking to it, started before a test file's first test and stopped after
 * its last (jest's beforeAll/afterAll). Test-only: excluded from the build.
 */
import { DEMO_TOKEN, TEACHER_TOKEN, startSim, testTokens, type SimHandle, type SimOptions } from '@moodle-mcp/moodle-sim';
import { MoodleClient } from '../moodle/client.js';
import type { MoodleApi } from '../moodle/types.js';
import type { ToolContext } from './types.js';

/**
 * The accounts every read tool is tested as: the demo token (the demo teacher
 * with site-administrator powers) and the same teacher's own token with only
 * the capabilities of an editing teacher in their courses, as the stack gives
 * each teacher. Use with describe.each(ACCOUNTS)('... as $who', ...).
 */
export const ACCOUNTS = [
  { who: 'site admin', token: DEMO_TOKEN },
  { who: 'editing teacher', token: TEACHER_TOKEN },
] as const;

export interface SimMoodle {
  readonly sim: SimHandle;
  /** The client of the simulator's default token (DEMO_TOKEN). */
  readonly moodle: MoodleClient;
  /** A client of another token of the simulator, made on first use and closed with the simulator. */
  client(token: string): MoodleClient;
  /** A tool's context over `api` (default: the client of the simulator's default token). */
  ctx(defaultCourseId?: number, api?: MoodleApi): ToolContext;
  /** A tool's context acting with `token`. */
  ctxAs(token: string, defaultCourseId?: number): ToolContext;
}

/** Starts the simulator with `options` (tokens default to testTokens(): the demo, teacher, student and restricted tokens). */
export function useSimMoodle(options: Omit<SimOptions, 'port'> = {}): SimMoodle {
  let sim: SimHandle | undefined;
  const clients = new Map<string, MoodleClient>();
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('useSimMoodle: used outside a test (the simulator starts in beforeAll)');
    return v;
  };
  const client = (token: string): MoodleClient => {
    const s = started(sim);
    let c = clients.get(token);
    if (!c) {
      c = new MoodleClient({ baseUrl: s.url, token, retries: 0 });
      clients.set(token, c);
    }
    return c;
  };
  const ctx = (defaultCourseId?: number, api?: MoodleApi): ToolContext => ({
    moodle: api ?? client(started(sim).token),
    signal: new AbortController().signal,
    defaultCourseId,
  });
  beforeAll(async () => {
    sim = await startSim({ tokens: testTokens(), ...options, port: 0 });
  });
  afterAll(async () => {
    for (const c of clients.values()) c.close();
    clients.clear();
    await sim?.stop();
  });
  return {
    get sim() {
      return started(sim);
    },
    get moodle() {
      return client(started(sim).token);
    },
    client,
    ctx,
    ctxAs: (token, defaultCourseId) => ctx(defaultCourseId, client(token)),
  };
}
