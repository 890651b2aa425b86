#!/usr/bin/env node
/**
 * Sessions scenario: one mcp-worker process (built, as in production) on a
 * moodle-sim; C clients connect at once, each initializes and calls
 * get_courses; then all sit idle while the worker's resident memory is read.
 * Prints calls answered, errors, and RSS per idle session.
 *
 * Usage: node bench/dist/sessions.js [--sessions 1000] [--timeout-s 120]
 * Bounded: every wait has a deadline; the worker and sim are always stopped.
 */
import { int, runScript } from './args.js';
import { LineClient } from './lineClient.js';
import { rssBytes, steadyMemory } from './proc.js';
import { startSim, startWorkers, stopWorkers } from './services.js';

const OPTIONS = {
  sessions: int(1000, 1, 50_000, 'clients that connect at once'),
  'timeout-s': int(120, 1, 50_000, 'time limit of the whole run, seconds'),
};
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);

async function main(args: { sessions: number; 'timeout-s': number }): Promise<void> {
  const deadline = Date.now() + args['timeout-s'] * 1000;
  const sim = await startSim();
  const workers = await startWorkers(1, { simUrl: sim.url }).catch(async (err: unknown) => {
    await sim.stop();
    throw err;
  });
  const [{ mcpPort, httpPort, proc: worker }] = workers;
  const clients: LineClient[] = [];
  try {
    // Warm up: one session does everything once, so start-up work is not billed to sessions.
    const warm = await LineClient.connect('127.0.0.1', mcpPort);
    await warm.initialize();
    await warm.request('tools/list');
    await warm.request('tools/call', { name: 'get_courses', arguments: {} });
    warm.close();
    const baseline = rssBytes(worker.pid!);
    process.stderr.write(`worker RSS before sessions: ${mb(baseline)} MB; opening ${args.sessions} sessions\n`);

    let errors = 0;
    const errorKinds = new Map<string, number>();
    const fail = (e: unknown) => {
      errors++;
      const k = e instanceof Error ? e.message : String(e);
      errorKinds.set(k, (errorKinds.get(k) ?? 0) + 1);
    };
    let answered = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: args.sessions }, async () => {
        try {
          const c = await LineClient.connect('127.0.0.1', mcpPort);
          clients.push(c);
          await c.initialize();
          const r = await c.request('tools/call', { name: 'get_courses', arguments: {} }, Math.max(1000, deadline - Date.now()));
          if (r.error || r.result?.isError) throw new Error(r.error?.message ?? 'tool error');
          answered++;
          if (answered % 250 === 0) process.stderr.write(`  ${answered}/${args.sessions} sessions answered\n`);
        } catch (e) {
          fail(e);
        }
      }),
    );
    const setupSeconds = (Date.now() - started) / 1000;
    const health = (await (await fetch(`http://127.0.0.1:${httpPort}/health`)).json()) as { sessions: number };
    const { rss } = await steadyMemory(() => [worker.pid!]);
    const perSession = (rss - baseline) / Math.max(1, health.sessions);
    const result = {
      sessions: args.sessions,
      answered,
      errors,
      errorKinds: Object.fromEntries(errorKinds),
      openOnWorker: health.sessions,
      setupSeconds,
      workerRssBaselineBytes: baseline,
      workerRssWithSessionsBytes: rss,
      rssPerIdleSessionBytes: Math.round(perSession),
    };
    console.log(
      [
        `sessions opened at once:     ${args.sessions}`,
        `initialize + get_courses ok: ${answered} (errors: ${errors})`,
        `open on the worker:          ${health.sessions}`,
        `time to set all up:          ${setupSeconds.toFixed(2)} s`,
        `worker RSS:                  ${mb(baseline)} MB -> ${mb(rss)} MB`,
        `RSS per idle session:        ${(perSession / 1024).toFixed(1)} KB (target < 100 KB)`,
      ].join('\n'),
    );
    console.log(JSON.stringify(result));
    if (errors > 0) process.exitCode = 1;
  } finally {
    clients.forEach((c) => c.close());
    await Promise.all([stopWorkers(workers), sim.stop()]);
  }
}

runScript(
  'sessions benchmark',
  'sessions.js',
  'One worker on moodle-sim; N clients connect at once, each initializes and calls get_courses; then the worker RSS per idle session.',
  OPTIONS,
  main,
);
