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
import path from 'node:path';
import { LineClient } from './lineClient.js';
import { freePort, httpOk, rssBytes, startNode, stop, until } from './proc.js';

interface Args {
  sessions: number;
  timeoutS: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { sessions: 1000, timeoutS: 120 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    if (flag === '--sessions' || flag === '--timeout-s') {
      if (!Number.isInteger(value) || value < 1 || value > 50_000) throw new Error(`${flag} needs a whole number from 1 to 50000`);
      if (flag === '--sessions') args.sessions = value;
      else args.timeoutS = value;
      i++;
    } else {
      throw new Error(`unknown argument ${flag}; usage: sessions.js [--sessions N] [--timeout-s S]`);
    }
  }
  return args;
}

const ROOT = path.resolve(__dirname, '../..');
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const deadline = Date.now() + args.timeoutS * 1000;
  const [simPort, mcpPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const sim = startNode(path.join(ROOT, 'services/moodle-sim/dist/main.js'), [], { SIM_PORT: String(simPort), LOG_LEVEL: 'warn' });
  const { DEMO_TOKEN } = require(path.join(ROOT, 'services/moodle-sim/dist/index.js')) as { DEMO_TOKEN: string };
  const worker = startNode(path.join(ROOT, 'services/mcp-worker/dist/main.js'), [], {
    MOODLE_URL: `http://127.0.0.1:${simPort}`,
    MOODLE_TOKEN: DEMO_TOKEN,
    MOODLE_DEMO: 'true',
    MCP_HOST: '127.0.0.1',
    MCP_PORT: String(mcpPort),
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(httpPort),
    LOG_LEVEL: 'warn',
  });
  const clients: LineClient[] = [];
  try {
    await until('moodle-sim', () => httpOk(`http://127.0.0.1:${simPort}/health`));
    await until('worker /ready', () => httpOk(`http://127.0.0.1:${httpPort}/ready`));
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
    // Idle: sample RSS until two samples 500 ms apart agree within 1 % (or 10 s pass).
    let rss = rssBytes(worker.pid!);
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const next = rssBytes(worker.pid!);
      const settled = Math.abs(next - rss) / rss < 0.01;
      rss = next;
      if (settled) break;
    }
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
    await Promise.all([stop(worker), stop(sim)]);
  }
}

main().catch((err: unknown) => {
  console.error(`sessions benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
