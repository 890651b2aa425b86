/** Shared setup for the sim's HTTP tests: a sim on a free port with a pinned clock and all test tokens. */
import { startSim, type SimHandle, type SimOptions } from '../server.js';
import { testTokens } from '../auth/tokens.js';
import { call, type WsParam } from './call.js';

/** 2025-03-10 12:00 UTC: the pinned "now" of the tests, in ms. */
export const TEST_NOW = Date.UTC(2025, 2, 10, 12);
export const TEST_NOW_SEC = TEST_NOW / 1000;

export function startTestSim(opts: SimOptions = {}): Promise<SimHandle> {
  return startSim({ now: TEST_NOW, tokens: testTokens(), debug: true, ...opts });
}

/** A call bound to one sim and token. */
export function caller(sim: () => SimHandle, token: string) {
  return <T = any>(wsfunction: string, params: Record<string, WsParam> = {}): Promise<T> => call<T>(sim().url, token, wsfunction, params);
}

export interface GradeState {
  grades: { id: number; assignmentid: number; userid: number; attemptnumber: number; grade: number; grader: number; feedback: string; timemodified: number }[];
  saveGradeCalls: number;
  stateChanges: number;
}

/** GET /__sim/state/grades. */
export async function gradeState(sim: SimHandle): Promise<GradeState> {
  return (await (await fetch(`${sim.url}/__sim/state/grades`)).json()) as GradeState;
}
