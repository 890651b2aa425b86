/**
 * The issue's targets, checked against a run's figures (all at the sizes the
 * issue names; a quick run measures other sizes and reports "not measured").
 */
import type { CachedResult } from './scenarios/cachedReads.js';
import type { ColdResult } from './scenarios/coldReads.js';
import { atLevel, type Levels, type PerSystem } from './scenarios/context.js';
import type { IdleResult } from './scenarios/idleSessions.js';
import type { SetupResult } from './scenarios/setup.js';
import { boundedCell, fmt, ratio, type Cell } from './table.js';

export interface TargetRow {
  target: string;
  measured: string;
  met: 'yes' | 'no' | 'not measured';
}

/** The figures of each scenario, by id, as the scenarios return them in `data.results`. */
export interface ScenarioData {
  1?: PerSystem<Levels<SetupResult>>;
  2?: PerSystem<Levels<CachedResult>>;
  3?: PerSystem<ColdResult>;
  4?: PerSystem<Levels<IdleResult>>;
}

export function checkTargets(d: ScenarioData): TargetRow[] {
  const rows: TargetRow[] = [];
  const add = (target: string, measured: string | undefined, met: boolean | undefined) =>
    rows.push({ target, measured: measured ?? 'not measured at this size', met: met === undefined ? 'not measured' : met ? 'yes' : 'no' });

  const cps = (s: 'stack' | 'old' | 'echo') => atLevel(d[2]?.[s], 50)?.getCourses.callsPerSecond;
  const [stackCps, oldCps, echoCps] = [cps('stack'), cps('old'), cps('echo')];
  add(
    'cached get_courses calls/s at C = 50: at least half the echo limit',
    stackCps !== undefined && echoCps !== undefined ? `${fmt(stackCps)} vs ${fmt(echoCps)} (stack/limit ${ratio(stackCps, echoCps)})` : undefined,
    stackCps !== undefined && echoCps !== undefined ? stackCps >= echoCps / 2 : undefined,
  );
  add(
    'cached get_courses calls/s at C = 50: at least 5× the old way',
    stackCps !== undefined && oldCps !== undefined ? `${fmt(stackCps)} vs ${fmt(oldCps)} (stack/old ${ratio(stackCps, oldCps)})` : undefined,
    stackCps !== undefined && oldCps !== undefined ? stackCps >= 5 * oldCps : undefined,
  );

  // Over every client, one that gave up counting as its wait: for the old way often a lower bound.
  const p50 = (s: 'stack' | 'old' | 'echo'): Cell => boundedCell(atLevel(d[1]?.[s], 50)?.connectInitAllMs, 'p50');
  const value = (c: Cell) => (typeof c === 'number' ? c : c && typeof c === 'object' ? c.atLeast : undefined);
  const [stackInit, oldInit, echoInit] = [p50('stack'), p50('old'), p50('echo')];
  const [stackMs, oldMs, echoMs] = [value(stackInit), value(oldInit), value(echoInit)];
  add(
    'connect+initialize p50 at C = 50: within 2× the echo limit',
    stackMs !== undefined && echoMs !== undefined ? `${fmt(stackInit)} ms vs ${fmt(echoInit)} ms (stack/limit ${ratio(stackInit, echoInit)})` : undefined,
    stackMs !== undefined && echoMs !== undefined && typeof stackInit === 'number' ? stackMs <= 2 * echoMs : undefined,
  );
  add(
    'connect+initialize p50 at C = 50: at least 100× better than the old way',
    stackMs !== undefined && oldMs !== undefined ? `${fmt(stackInit)} ms vs ${fmt(oldInit)} ms (old/stack ${ratio(oldInit, stackInit)})` : undefined,
    // A lower bound for the old way is enough when it already clears the bar.
    stackMs !== undefined && oldMs !== undefined && typeof stackInit === 'number' ? oldMs >= 100 * stackMs : undefined,
  );

  const idle = atLevel(d[4]?.stack, 1000);
  const oldIdle = atLevel(d[4]?.old, 1000);
  const perSession = idle?.rssPerSessionBytes ?? undefined;
  const oldPerSession = oldIdle?.rssPerSessionBytes ?? undefined;
  add(
    'resident memory per idle session (1,000 sessions): under 100 KB',
    perSession !== undefined ? `${fmt(perSession / 1024)} KB${oldPerSession !== undefined ? ` (old way: ${fmt(oldPerSession / 2 ** 20)} MB)` : ''}` : undefined,
    perSession !== undefined ? perSession < 100 * 1024 : undefined,
  );

  const setup1000 = atLevel(d[1]?.stack, 1000);
  const oldSetup1000 = atLevel(d[1]?.old, 1000);
  const errors = [setup1000?.errors, idle?.errors].filter((e): e is number => e !== undefined);
  add(
    '1,000 concurrent sessions with zero errors',
    errors.length
      ? `${errors.reduce((a, b) => a + b, 0)} errors${oldSetup1000 ? ` (old way: ${fmt(oldSetup1000.opened)} set up, ${fmt(oldSetup1000.errors)} errors)` : ''}`
      : undefined,
    errors.length ? errors.every((e) => e === 0) : undefined,
  );

  const cold = atLevel(d[3]?.stack, 'identical');
  const oldCold = atLevel(d[3]?.old, 'identical');
  const at1000 = cold && cold.sessions === 1000 ? cold : undefined;
  add(
    '1,000 identical cold calls across 2 workers: 1 Moodle request',
    at1000
      ? `${fmt(at1000.moodleRequests)} (old way: ${oldCold ? `${fmt(oldCold.moodleRequests)} for ${fmt(oldCold.sessions)} calls` : 'not run'})`
      : undefined,
    at1000 ? at1000.moodleRequests === 1 : undefined,
  );
  return rows;
}
