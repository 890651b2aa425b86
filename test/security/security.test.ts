import { cpSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SEED } from '../../services/moodle-sim/src/seedIds.js';
import { LineSocket } from '../helpers/lineSocket.js';
import { connectViaNcat, resultText } from '../helpers/mcp.js';
import { metric } from '../helpers/metrics.js';
import { prepareNativeStack, ROOT, run, type NativeStack, type RunResult } from '../helpers/nativeStack.js';
import { freePort } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { closeAbusers, halfOpen, idleBudget, judgeNonReaders, openIdle, resetMidCall, SOURCES, startNonReaders, startSlowSenders } from './abuse.js';
import { CONTINUING, FORGED_ADDRESS, FORGED_CN, type ToolInfo } from './badInputs.js';
import { runCampaign } from './campaign.js';
import { loadProfile } from './profile.js';
import { writeReport, type Row, type SecurityReport } from './report.js';
import { findSecrets, httpExposures, runLogs, runSecrets, type Exposure, type Secret } from './secrets.js';
import { crashes, pidsByName, RssSampler, workersTakenOut } from './stackWatch.js';
import { WellBehavedSession } from './wellBehaved.js';

/**
 * Issue 8, "Bad input" and the secrets check, over the native stack (real
 * HAProxy, Redis, moodle-sim, worker processes, the proxy): thousands of
 * generated bad messages and abusive clients through the VIP, each held to
 * the answer README's protocol table promises, while a well-behaved teacher's
 * session runs alongside; then a full session whose every log, metric and
 * status page is searched for the run's secrets. Figures: run/security/.
 * SECURITY_PROFILE=full (make test-security) runs a bigger configuration.
 */
const profile = loadProfile(process.env);
/** README: a line longer than MAX_LINE_BYTES (1 MiB, the default the stack runs with). */
const MAX_LINE_BYTES = 1024 * 1024;
/** The worker's MAX_PENDING_WRITE_BYTES default (8 MiB). */
const MAX_PENDING_WRITE_BYTES = 8 * 1024 * 1024;
const REPORT_DIR = path.join(ROOT, 'run', 'security');

describe(`security: bad input and secrets through HAProxy (${profile.name} profile)`, () => {
  let stack: NativeStack;
  let up: RunResult;
  let secrets: Secret[];
  let pidsBefore: Map<string, number>;
  let tools: ToolInfo[];
  const started = Date.now();
  const cleanups: (() => unknown)[] = [];
  const report: SecurityReport = {
    profile: profile.name,
    seed: profile.seed,
    workers: profile.workers,
    rows: [],
    unexpectedAnswers: [],
    skipped: { batches: 0, of: 0 },
    crashes: [],
    takenOut: [],
    wellBehaved: { calls: 0, errors: [] },
    memory: [],
    backlogBoundBytes: 0,
    backlogGrowthBytes: 0,
    idle: { wanted: profile.idle, target: 0, opened: 0, sessionsSeen: 0 },
    forgedIdentity: { believed: 0, realLogged: 0 },
    durationSeconds: 0,
    phaseSeconds: {},
  };
  const workerNames = Array.from({ length: profile.workers }, (_, i) => `worker-${i + 1}`);
  const workerUrl = (i: number) => `http://127.0.0.1:${stack.workerHttpPort(i)}`;
  const eachWorker = <T>(f: (i: number) => Promise<T>) => Promise.all(workerNames.map((_, k) => f(k + 1)));
  const sessions = async () => (await eachWorker(async (i) => ((await (await fetch(`${workerUrl(i)}/health`)).json()) as { sessions: number }).sessions)).reduce((a, b) => a + b, 0);
  /** A metric summed over the workers. */
  const workersTotal = async (name: string, labels?: string) => (await eachWorker((i) => metric({ httpUrl: workerUrl(i) }, name, labels))).reduce((a, b) => a + b, 0);
  const inputPaused = () => workersTotal('mcp_sessions_input_paused');
  const backlogDrops = () => workersTotal('mcp_refused_messages_total', 'reason="write_backlog"');

  beforeAll(async () => {
    rmSync(path.join(REPORT_DIR, 'logs'), { recursive: true, force: true });
    stack = await prepareNativeStack({
      workers: profile.workers,
      // All of 127/8, so idle connections can come from many source addresses.
      allowlist: ['127.0.0.0/8'],
      env: { LOG_LEVEL: 'info' },
    });
    up = await stack.make('local');
    if (up.code !== 0) throw new Error(`make local failed (${up.code}):\n${up.stdout}\n${up.stderr}`);
    secrets = runSecrets(stack);
    pidsBefore = pidsByName(stack, [...workerNames, 'haproxy', 'redis', 'moodle-sim', 'proxy', 'supervisor']);
    const s = await LineSocket.connect(stack.mcpPort);
    await s.initialize();
    s.send({ jsonrpc: '2.0', id: 'tools', method: 'tools/list' });
    tools = (await s.response('tools')).result.tools;
    s.close();
  }, 120_000);

  afterAll(async () => {
    // Whatever a failed run left open (it would keep jest alive).
    closeAbusers();
    for (const close of cleanups.splice(0)) await close();
    report.durationSeconds = (Date.now() - started) / 1000;
    process.stdout.write('\n' + writeReport(report, REPORT_DIR));
    // The run's logs outlive it (down() removes the run directory), for whoever reads the report.
    if (stack && existsSync(path.join(stack.runDir, 'logs'))) cpSync(path.join(stack.runDir, 'logs'), path.join(REPORT_DIR, 'logs'), { recursive: true });
    await stack?.down();
  }, 60_000);

  it(
    'answers every generated bad input as the protocol table promises; no worker crashes and a well-behaved session sees no error',
    async () => {
      const deadline = Date.now() + profile.budgetMs;
      let lap = Date.now();
      const phase = (name: string) => {
        report.phaseSeconds[name] = (Date.now() - lap) / 1000;
        lap = Date.now();
      };
      const pids = workerNames.map((n) => pidsBefore.get(n)!);
      const good = await WellBehavedSession.start('127.0.0.1', stack.mcpPort, { intervalMs: profile.goodIntervalMs, maxCalls: 100_000, deadline: deadline + 60_000 });
      cleanups.push(() => good.stop());
      const rss = new RssSampler(pids);
      cleanups.push(() => rss.stop());
      const before = rss.sample();

      // Idle connections, held to the end (every one a session on some worker).
      const sessionsBefore = await sessions();
      const budget = idleBudget(profile.idle);
      Object.assign(report.idle, { target: budget.count, note: budget.note });
      const idle = await openIdle(stack.mcpPort, budget.count, profile.idlePerSource, 200);
      report.idle.opened = idle.sockets.length;
      phase('idle connections');

      // Clients that never read, beside slow drips: the workers stop reading them, so memory stays bounded.
      const slow = await startSlowSenders(stack.mcpPort, profile.slowSenders, profile.slowTickMs, deadline);
      const drops = await backlogDrops();
      const backlog = new RssSampler(pids, 50);
      cleanups.push(() => backlog.stop());
      const atRest = backlog.sample();
      const readers = await startNonReaders(stack.mcpPort, profile.nonReaders, profile.nonReaderRequests);
      // The workers stop reading them (SESSION_MAX_UNANSWERED, output must drain), or drop them at MAX_PENDING_WRITE_BYTES.
      await waitFor('the workers to stop reading (or drop) the clients that do not read', async () => (await inputPaused()) + (await backlogDrops()) - drops >= profile.nonReaders, {
        timeoutMs: 30_000,
      }).catch(() => undefined);
      backlog.stop();
      report.backlogGrowthBytes = pids.reduce((sum, p) => sum + Math.max(0, backlog.peak.get(p)! - atRest.get(p)!), 0);
      // Each dropped client may have held MAX_PENDING_WRITE_BYTES queued plus what was being serialized; 64 MiB for the rest.
      report.backlogBoundBytes = profile.nonReaders * 2 * MAX_PENDING_WRITE_BYTES + 64 * 1024 * 1024;
      const nonReaders = await judgeNonReaders(readers, 60_000);
      phase('clients that do not read');

      // The fuzz campaign, with half-open and reset connections alongside.
      const [campaign, halfOpened] = await Promise.all([
        runCampaign(stack.mcpPort, { seed: profile.seed, ...profile.campaign }, tools, MAX_LINE_BYTES, deadline),
        halfOpen(stack.mcpPort, profile.halfOpen, 15_000),
        resetMidCall(stack.mcpPort, profile.resets),
      ]);
      const slowTallies = await slow.finish(15_000);
      phase('fuzz, half-open, slow drips');

      // Tool calls are logged with the client's address: the real one, never what a forged PROXY header claims.
      const logLines = runLogs(stack.runDir)
        .filter((l) => /worker-\d+\.log$/.test(l.source))
        .flatMap((l) => l.text.split('\n'));
      report.forgedIdentity = {
        believed: logLines.filter((l) => l.includes(FORGED_ADDRESS) || l.includes(FORGED_CN)).length,
        realLogged: logLines.filter((l) => l.includes(`"clientAddress":"127.${SOURCES.fuzz}.`)).length,
      };

      // Every idle connection is still a session; then they go.
      report.idle.sessionsSeen = Math.min(report.idle.opened, (await sessions()) - sessionsBefore);
      idle.closeAll();
      await good.stop();
      await waitFor('the sessions to end', async () => (await sessions()) <= 1, { timeoutMs: 30_000 }).catch(() => undefined);
      rss.stop();
      const after = rss.sample();
      phase('closing');
      report.memory = workerNames.map((worker, k) => ({ worker, beforeBytes: before.get(pids[k]!)!, peakBytes: rss.peak.get(pids[k]!)!, afterBytes: after.get(pids[k]!)! }));

      const categories = [...CONTINUING, 'oversize_line', 'pipelined_requests'] as const;
      const rows: Row[] = [
        ...categories.map((c) => ({ what: c, ...(campaign.tallies.get(c) ?? { tried: 0, asExpected: 0, rateLimited: 0, examples: [] }) })),
        { what: 'slow drip, whole lines', ...slowTallies.complete },
        { what: 'slow drip, one endless line', ...slowTallies.endless },
        { what: 'half-open (EOF, still reading)', ...halfOpened },
        { what: 'never reads its answers', ...nonReaders },
      ];
      report.rows = rows;
      report.unexpectedAnswers = campaign.unexpected;
      report.crashes = crashes(stack, pidsBefore);
      report.takenOut = workersTakenOut(stack);
      report.wellBehaved = { calls: good.calls, errors: good.errors };
      if (idle.failed.length) report.idle.note = [budget.note, `${idle.failed.length} failed to open, e.g. ${idle.failed[0]}`].filter(Boolean).join('; ');
      report.skipped = { batches: campaign.skipped, of: campaign.batches };

      // Per category: every input got its promised answer (the examples say what came instead).
      for (const row of rows) expect({ what: row.what, examples: row.examples }).toEqual({ what: row.what, examples: [] });
      for (const row of rows) expect({ what: row.what, asExpected: row.asExpected, tried: row.tried > 0 }).toEqual({ what: row.what, asExpected: row.tried, tried: true });
      expect(report.unexpectedAnswers).toEqual([]);
      expect(report.forgedIdentity.believed).toBe(0);
      expect(report.forgedIdentity.realLogged).toBeGreaterThan(0);
      expect(report.crashes).toEqual([]);
      expect(report.takenOut).toEqual([]);
      expect(good.errors).toEqual([]);
      expect(good.calls).toBeGreaterThan(10);
      expect(report.idle).toMatchObject({ opened: budget.count, sessionsSeen: budget.count });
      expect(report.backlogGrowthBytes).toBeLessThanOrEqual(report.backlogBoundBytes);
    },
    profile.budgetMs + 150_000,
  );

  it('keeps every secret out of the logs, metrics, /config, /health, /api/proxy/status and error output of a full run', async () => {
    const texts: Exposure[] = [
      { source: 'make local (stdout)', text: up.stdout },
      { source: 'make local (stderr)', text: up.stderr },
    ];
    // A teacher's full session: reads, a write, an error from Moodle.
    const teacher = await connectViaNcat('127.0.0.1', stack.mcpPort, 'secrets-teacher');
    try {
      await teacher.listTools();
      expect((await teacher.callTool({ name: 'get_site_info', arguments: {} })).isError).toBeFalsy();
      const write = await teacher.callTool({ name: 'provide_assignment_feedback', arguments: { assignmentId: SEED.assignmentId, userId: SEED.draftStudentId, grade: 64, feedback: 'secrets check' } });
      expect({ isError: write.isError ?? false, text: resultText(write) }).toMatchObject({ isError: false });
      const moodleError = await teacher.callTool({ name: 'get_submissions', arguments: { assignmentId: SEED.missingId } });
      expect(moodleError.isError).toBe(true);
    } finally {
      await teacher.close();
    }

    // The proxy's admin API, with the token and with a wrong one.
    const proxy = `http://127.0.0.1:${stack.proxyPort}`;
    const token = secrets.find((s) => s.name === 'proxy admin token')!.value;
    const post = (p: string, auth: string) => fetch(`${proxy}${p}`, { method: 'POST', headers: { Authorization: `Bearer ${auth}` } });
    expect((await post('/api/proxy/workers/worker-1/drain', token)).status).toBe(200);
    expect((await post('/api/proxy/workers/worker-1/enable', token)).status).toBe(200);
    expect((await post('/api/proxy/workers/worker-1/drain', 'not-the-token-0123456789')).status).toBe(401);

    // Services started with a bad environment: the error names the variable, never a value.
    const redisPassword = secrets.find((s) => s.name === 'Redis password')!.value;
    const simUrl = `http://127.0.0.1:${stack.env.SIM_PORT}`;
    const workerEnv = { MOODLE_URL: simUrl, MOODLE_TOKEN: secrets[0]!.value, IDENTITY_MODE: 'shared', MCP_HOST: '127.0.0.1', MCP_PORT: '0', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0' };
    const starts: [string, string, Record<string, string>, number][] = [
      ['worker with bad variables', 'services/mcp-worker/dist/main.js', { ...workerEnv, MOODLE_URL: 'moodle.school', MAX_LINE_BYTES: 'lots', REDIS_URL: `redis://:${redisPassword}@127.0.0.1:1/`, REDIS_PASSWORD: redisPassword }, 0],
      ['worker with a token that has a space in it', 'services/mcp-worker/dist/main.js', { ...workerEnv, MOODLE_TOKEN: `${secrets[0]!.value} x` }, 0],
      ['worker whose Redis is unreachable', 'services/mcp-worker/dist/main.js', { ...workerEnv, REDIS_URL: `redis://:${redisPassword}@127.0.0.1:${await freePort()}/`, REDIS_PASSWORD: redisPassword }, 4_000],
      ['proxy with bad variables', 'services/proxy/dist/main.js', { PROXY_ADMIN_TOKEN: token, PROXY_PORT: 'eighty', PROXY_CONFIG_FILE: '/nonexistent/proxy.json' }, 0],
    ];
    // Only `env` (and PATH); one that starts is stopped after runMs with what it printed until then.
    const results = await Promise.all(starts.map(([, script, env, runMs]) => run(process.execPath, [path.join(ROOT, script)], { PATH: process.env.PATH, ...env }, runMs || 30_000)));
    for (const [k, [what, , , runMs]] of starts.entries()) {
      const r = results[k]!;
      if (runMs === 0) expect({ what, code: r.code }).toEqual({ what, code: 2 });
      texts.push({ source: `${what} (stdout)`, text: r.stdout }, { source: `${what} (stderr)`, text: r.stderr });
    }

    const operator = await stack.local('status');
    texts.push({ source: 'local.sh status', text: operator.stdout + operator.stderr });
    const urls: Record<string, string> = {
      'proxy /metrics': `${proxy}/metrics`,
      'proxy /config': `${proxy}/config`,
      'proxy /health': `${proxy}/health`,
      'proxy /ready': `${proxy}/ready`,
      'proxy /api/proxy/status': `${proxy}/api/proxy/status`,
      'proxy /api/target/metrics': `${proxy}/api/target/metrics`,
      'HAProxy /metrics': `http://127.0.0.1:${stack.statsPort}/metrics`,
    };
    for (const [k, name] of workerNames.entries()) for (const p of ['/metrics', '/health', '/ready']) urls[`${name} ${p}`] = `${workerUrl(k + 1)}${p}`;
    texts.push(...(await httpExposures(urls)), ...runLogs(stack.runDir));

    const found = findSecrets(secrets, texts);
    report.secrets = { secrets: secrets.length, sources: texts.length, found, places: texts.map((t) => t.source) };
    // The search itself works: each secret is found where it is.
    for (const s of secrets) expect({ [s.name]: s.value.length >= 16 }).toEqual({ [s.name]: true });
    expect(findSecrets(secrets, [{ source: 'control', text: secrets.map((s) => s.value).join(' ') }])).toHaveLength(secrets.length);
    expect(texts.filter((t) => t.source.startsWith('logs/')).length).toBeGreaterThanOrEqual(profile.workers + 4);
    expect(found).toEqual([]);
  }, 120_000);
});
