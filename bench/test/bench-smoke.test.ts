import path from 'node:path';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Smoke tests of the benchmark scripts with tiny parameters: they must run,
 * stop by themselves and report. Figures are not asserted (timing belongs to
 * `make bench-*`), except counts that do not depend on speed: coalesced
 * identical calls reach Moodle once, and no call fails.
 */
const DIST = path.resolve(__dirname, '../dist');
function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = path.join(DIST, script);
  if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run build" first (make test does)`);
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);

describe('benchmark scripts (smoke)', () => {
  it('sessions: opens sessions, answers all, reports memory per idle session', async () => {
    const r = await run('sessions.js', ['--sessions', '50']);
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.code).toBe(0);
    const j = lastJson(r.stdout);
    expect(j).toEqual(expect.objectContaining({ sessions: 50, answered: 50, errors: 0, openOnWorker: 50 }));
    expect(j.rssPerIdleSessionBytes).toEqual(expect.any(Number));
  });

  it('cache: identical cold calls over two workers reach Moodle once; the mixed workload reports its hit ratio', async () => {
    const r = await run('cache.js', ['--identical', '100', '--sessions', '8', '--calls', '5', '--latency-ms', '20']);
    expect(r.code).toBe(0);
    const j = lastJson(r.stdout);
    expect(j.identical).toEqual(expect.objectContaining({ calls: 100, errors: 0, moodleRequests: 1 }));
    expect(j.mixed).toEqual(expect.objectContaining({ calls: 40, errors: 0 }));
    expect(j.mixed.hitRatio).toBeGreaterThan(0);
    expect(j.mixed.moodleRequests + j.mixed.moodleRequestsSaved).toBe(j.mixed.cacheLookups);
  });

  it('refuses a bad argument with a message naming it', async () => {
    const r = await run('cache.js', ['--workers', 'many']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--workers needs a whole number');
  });
});
