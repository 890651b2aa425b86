/**
 * For the tool tests: a real moodle-sim on a free port and a MoodleClient
 * talking to it, started before a test file's first test and stopped after
 * its last (jest's beforeAll/afterAll). Test-only: excluded from the build.
 */
import { startSim, type SimHandle, type SimOptions } from '@moodle-mcp/moodle-sim';
import { MoodleClient } from '../moodle/client.js';
import type { MoodleApi } from '../moodle/types.js';
import type { ToolContext } from './types.js';

export interface SimMoodle {
  readonly sim: SimHandle;
  readonly moodle: MoodleClient;
  /** A tool's context over `api` (default: the client of the simulator). */
  ctx(defaultCourseId?: number, api?: MoodleApi): ToolContext;
}

export function useSimMoodle(options: Omit<SimOptions, 'port'> = {}): SimMoodle {
  let sim: SimHandle | undefined;
  let moodle: MoodleClient | undefined;
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('useSimMoodle: used outside a test (the simulator starts in beforeAll)');
    return v;
  };
  beforeAll(async () => {
    sim = await startSim({ ...options, port: 0 });
    moodle = new MoodleClient({ baseUrl: sim.url, token: sim.token, retries: 0 });
  });
  afterAll(async () => {
    moodle?.close();
    await sim?.stop();
  });
  return {
    get sim() {
      return started(sim);
    },
    get moodle() {
      return started(moodle);
    },
    ctx: (defaultCourseId, api) => ({ moodle: api ?? started(moodle), signal: new AbortController().signal, defaultCourseId }),
  };
}
