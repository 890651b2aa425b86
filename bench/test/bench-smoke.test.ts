import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Smoke tests of the benchmark scripts with tiny parameters: they must run,
 * stop by themselves (and everything they started) and report in the agreed
 * shape. Timing figures are never asserted (they belong to `make bench`);
 * counts that do not depend on speed are: no call fails, and coalesced
 * identical calls reach Moodle once.
 */
const DIST = path.resolve(__dirname, '../dist');
function script(name: string): string {
  const file = path.join(DIST, name);
  if (!existsSync(file)) throw new Error(`${file} is missing: run "npx tsc -b" first (make test does)`);
  return file;
}
function run(name: string, args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script(name), ...args], { timeout: timeoutMs, killSignal: 'SIGINT', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);

/** Every number under a key named `errors`, anywhere in `value`, with its path. */
function errorCounts(value: unknown, at = '$'): [string, number][] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === 'errors' && typeof v === 'number' ? [[`${at}.${k}`, v] as [string, number]] : errorCounts(v, `${at}.${k}`),
  );
}
/** Every `{ error: "..." }` (a measurement that failed), anywhere in `value`. */
function failures(value: unknown, at = '$'): string[] {
  if (!value || typeof value !== 'object') return [];
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'error') return [`${at}: ${(value as { error: string }).error}`];
  return Object.entries(value).flatMap(([k, v]) => failures(v, `${at}.${k}`));
}

/** Pids of `pid` and its descendants that are alive (zombies do not count). */
function tree(pid: number): number[] {
  const children = new Map<number, number[]>();
  const alive = new Set<number>();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z') alive.add(Number(name));
      children.set(Number(ppid), [...(children.get(Number(ppid)) ?? []), Number(name)]);
    } catch {
      // exited while listing
    }
  }
  const out: number[] = [];
  for (const todo = [pid]; todo.length;) {
    const p = todo.pop()!;
    if (alive.has(p)) out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

describe('benchmark scripts (smoke)', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

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

  // About 30 s on an idle 2-core machine; the generous limits are for a machine busy with other work.
  it('compare --quick: runs the five scenarios on the stack, the old way and the echo limit, with no error, and writes the tables, JSON and chart', async () => {
    const r = await run('compare.js', ['--quick', '--out', out], 280_000);
    expect(r.stderr).toContain('scenario 5/5');
    expect(r.code).toBe(0);
    const { ok, files } = lastJson(r.stdout) as { ok: boolean; files: string[] };
    expect(ok).toBe(true);
    expect(files.map((f) => path.extname(f)).sort()).toEqual(['.json', '.md', '.png', '.svg']);

    const j = JSON.parse(
      readFileSync(
        files.find((f) => f.endsWith('.json'))!,
        'utf8',
      ),
    );
    expect(j).toEqual(expect.objectContaining({ mode: 'quick', ok: true, interrupted: false }));
    expect(j.machine).toEqual(expect.objectContaining({ cpus: expect.any(Number), node: process.version }));
    expect(j.scenarios.map((s: { id: number }) => s.id)).toEqual([1, 2, 3, 4, 5]);
    for (const s of j.scenarios) {
      expect(s).toEqual(expect.objectContaining({ ok: true, title: expect.any(String), seconds: expect.any(Number) }));
      expect(s.loadavg.start).toHaveLength(3);
      expect(s.loadavg.end).toHaveLength(3);
      expect(s.tables.length).toBeGreaterThan(0);
      expect(s.notes.join('\n')).toMatch(/Before each system, the benchmark waited for the CPU to be under 30 % busy .*: stack \(\d workers?\) \d+ %/);
      for (const t of s.tables) {
        expect(t.rows.length).toBeGreaterThan(0);
        for (const row of t.rows) expect(row).toHaveLength(t.columns.length);
      }
    }
    // The three systems were measured side by side, every measurement succeeded, nothing failed.
    for (const id of [1, 2, 4]) expect(Object.keys(j.scenarios[id - 1].data.results).sort()).toEqual(['echo', 'old', 'stack']);
    expect(failures(j.scenarios)).toEqual([]);
    const counts = errorCounts(j.scenarios);
    expect(counts.length).toBeGreaterThan(20);
    expect(counts.filter(([, n]) => n !== 0)).toEqual([]);
    // Coalescing does not depend on speed: identical cold calls over two workers reach Moodle once.
    expect(j.scenarios[2].data.results.stack.identical.moodleRequests).toBe(1);
    // Set-up is measured three times on the stack and the echo server (once on the old way); the figure is the median run's.
    for (const [system, levels] of Object.entries(
      j.scenarios[0].data.results as Record<string, Record<string, { repeatsP50Ms?: number[]; connectInitAllMs: { p50: number } }>>,
    )) {
      for (const level of Object.values(levels)) {
        if (system === 'old') expect(level.repeatsP50Ms).toBeUndefined();
        else {
          expect(level.repeatsP50Ms).toHaveLength(3);
          expect(Math.round(level.connectInitAllMs.p50 * 10) / 10).toBe([...level.repeatsP50Ms!].sort((a, b) => a - b)[1]);
        }
      }
    }
    // Every cached get_courses run says what each process group spent per call; the ones that did the work spent some.
    for (const [system, levels] of Object.entries(
      j.scenarios[1].data.results as Record<
        string,
        Record<string, { getCourses: { callsPerSecond: number; repeatsCallsPerSecond: number[]; cpuPerCallUs: Record<string, number> } }>
      >,
    )) {
      for (const level of Object.values(levels)) {
        // Made three times; the figure is the median run's.
        const runs = level.getCourses.repeatsCallsPerSecond;
        expect(runs).toHaveLength(3);
        expect(level.getCourses.callsPerSecond).toBe([...runs].sort((a, b) => a - b)[1]);
        const cpu = level.getCourses.cpuPerCallUs;
        expect(Object.keys(cpu).sort()).toEqual(['HAProxy', 'Redis', 'load generator', 'moodle-sim', 'servers']);
        // Named, so that a failure says which system and group. /proc counts in 10 ms ticks: the old way answers
        // too few calls in a quick run for HAProxy's and the load generator's share to be sure to reach one.
        for (const group of system === 'old' ? ['servers'] : ['servers', 'HAProxy', 'load generator'])
          expect({ system, group, positive: cpu[group] > 0 }).toEqual({ system, group, positive: true });
      }
    }
    expect(j.targets).toHaveLength(7);
    for (const t of j.targets) expect(['yes', 'no', 'not measured']).toContain(t.met);

    const md = readFileSync(
      files.find((f) => f.endsWith('.md'))!,
      'utf8',
    );
    for (const heading of ['## Targets', '## 1. ', '## 2. ', '## 3. ', '## 4. ', '## 5. ']) expect(md).toContain(heading);
    expect(md).toMatch(/\| *\| stack \| old way \| echo limit \| stack\/old \| stack\/limit \|/);
    const png = readFileSync(files.find((f) => f.endsWith('.png'))!);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.length).toBeGreaterThan(10_000);
  }, 300_000);

  it('compare: Ctrl-C stops every process it started and still writes the results, marked interrupted', async () => {
    const dir = path.join(out, 'interrupted');
    const child = spawn(process.execPath, [script('compare.js'), '--quick', '--scenarios', '1,2', '--out', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let started: number[] = [];
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`scenario 1 did not start within 120 s:\n${stderr}`)), 120_000);
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('scenario 1/5') && !started.length) {
          // HAProxy, Redis and moodle-sim run now (the stack's workers start once the CPU has settled).
          started = tree(child.pid!);
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(started.length).toBeGreaterThan(3);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(started.filter((pid) => tree(pid).length > 0)).toEqual([]);
    const [json] = readdirSync(dir).filter((f) => f.endsWith('.json'));
    const j = JSON.parse(readFileSync(path.join(dir, json), 'utf8'));
    expect(j).toEqual(expect.objectContaining({ interrupted: true, ok: false }));
    expect(j.scenarios.map((s: { id: number; ok: boolean }) => [s.id, s.ok])).toEqual([
      [1, false],
      [2, false],
    ]);
  }, 180_000);

  it('loadgen: drives any MCP endpoint on this machine (here the echo server) and reports sessions and calls', async () => {
    const echo = spawn(process.execPath, [script('echoServer.js'), '--port', '0', '--reply-bytes', '500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        echo.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()).listening));
        echo.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
      });
      const r = await run('loadgen.js', ['--port', String(port), '--sessions', '3', '--calls', '20', '--pipeline', '2', '--duration-s', '5']);
      expect(r.code).toBe(0);
      const j = lastJson(r.stdout);
      expect(j.sessions).toEqual(expect.objectContaining({ requested: 3, opened: 3, errors: {} }));
      expect(j.calls).toEqual(expect.objectContaining({ sessions: 3, pipeline: 2, ok: 60, errors: 0 }));
      expect(r.stderr).toContain('60 calls answered');
    } finally {
      echo.kill();
    }
  });

  it('refuses a bad argument with a message naming it', async () => {
    const cache = await run('cache.js', ['--workers', 'many']);
    expect(cache.code).toBe(2);
    expect(cache.stderr).toContain('--workers needs a whole number');
    const compare = await run('compare.js', ['--scenarios', '1,7']);
    expect(compare.code).toBe(2);
    expect(compare.stderr).toContain('--scenarios needs a whole number from 1 to 5 (got "7")');
    const unknown = await run('compare.js', ['--fast']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown option "--fast"');
    const args = await run('loadgen.js', ['--args', '[1]']);
    expect(args.code).toBe(2);
    expect(args.stderr).toContain('--args must be a JSON object');
  });
});
