import { existsSync, readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectViaNcat, resultText } from '../helpers/mcp';
import { metric } from '../helpers/metrics';
import { waitFor } from '../helpers/wait';

/**
 * The MCP side of `make compose-test` (scripts/compose-test.sh): the MCP SDK's
 * own Client over `ncat` to the VIP the compose stack publishes. Not part of
 * `make test` (the file name does not end in .test.ts): the compose test runs
 * one case at a time with `-t`, between the steps it takes on the stack.
 *
 *   VIP_HOST, VIP_PORT  the published MCP port of HAProxy
 *   STATS_URL           HAProxy's stats frontend (its /metrics needs no password)
 *   WORKERS             how many workers HAProxy must spread sessions over
 *   STOP_FILE, KILL_FILE  the session loop: stop when STOP_FILE exists; the
 *                       time of the worker kill (ms since the epoch) is in KILL_FILE
 */
const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (scripts/compose-test.sh sets it)`);
  return v;
};
const connect = (name: string, timeout?: number) => connectViaNcat(env('VIP_HOST'), Number(env('VIP_PORT')), name, [], timeout ? { timeout } : undefined);

/**
 * One whole session: connect, list the tools, call get_courses, close; with
 * each phase's time. `timeoutMs` bounds each request (generous by default: a
 * busy 2-core machine builds and runs the whole stack at once).
 */
async function session(name: string, timeoutMs = 30_000): Promise<{ tools: string[]; courses: string; ms: string }> {
  const t0 = Date.now();
  let phase = 'connect (initialize)';
  const client = await connect(name, timeoutMs).catch((err: unknown) => {
    throw new Error(`${phase}: ${err instanceof Error ? err.message : String(err)}`);
  });
  try {
    const t1 = Date.now();
    phase = 'tools/list';
    const tools = (await client.listTools(undefined, { timeout: timeoutMs })).tools.map((t) => t.name);
    const t2 = Date.now();
    phase = 'get_courses';
    const r = await client.callTool({ name: 'get_courses', arguments: { perPage: 3 } }, undefined, { timeout: timeoutMs });
    if (r.isError) throw new Error(`get_courses failed: ${resultText(r)}`);
    return { tools, courses: resultText(r), ms: `connect ${t1 - t0} ms, tools/list ${t2 - t1} ms, get_courses ${Date.now() - t2} ms` };
  } catch (err) {
    throw new Error(`${phase} after ${Date.now() - t0} ms: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * Each request of the session loop, ms: a session stuck on the killed worker
 * (see above) is given up after this, so the loop goes on opening new ones.
 * A healthy session's requests take milliseconds.
 */
const LOOP_TIMEOUT_MS = 10_000;

describe('the compose stack, through the published VIP', () => {
  it('lists the tools and calls get_courses over ncat', async () => {
    const { tools, courses, ms } = await session('compose-test');
    expect(tools).toEqual(expect.arrayContaining(['get_courses']));
    expect(courses.length).toBeGreaterThan(0);
    process.stdout.write(
      `compose-test: ${tools.length} tools (${tools.slice(0, 5).join(', ')}, …); get_courses answered ${courses.length} characters (${ms})\n`,
    );
  });

  it('spreads concurrent sessions over every worker', async () => {
    const workers = Number(env('WORKERS'));
    const stats = { httpUrl: env('STATS_URL') };
    const perWorker = () =>
      Promise.all(Array.from({ length: workers }, (_, i) => metric(stats, 'haproxy_server_current_sessions', `proxy="workers",server="worker-${i + 1}"`)));
    const clients: Client[] = [];
    try {
      // Held open together: leastconn gives each worker its share.
      for (let i = 0; i < 2 * workers; i++) {
        const c = await connect(`compose-test-${i}`);
        clients.push(c);
        await c.listTools();
      }
      const counts = await waitFor('a session on every worker', async () => {
        const c = await perWorker();
        return c.every((n) => n > 0) ? c : undefined;
      });
      process.stdout.write(`compose-test: ${clients.length} open sessions per HAProxy server: ${counts.map((n, i) => `worker-${i + 1}=${n}`).join(' ')}\n`);
      expect(counts).toHaveLength(workers);
    } finally {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    }
  });

  it('keeps opening new sessions while a worker restarts', async () => {
    const stopFile = env('STOP_FILE');
    const killFile = env('KILL_FILE');
    const deadline = Date.now() + 170_000;
    const runs: { startedAt: number; endedAt: number; error?: string }[] = [];
    while (!existsSync(stopFile) && Date.now() < deadline) {
      const startedAt = Date.now();
      try {
        await session(`compose-test-loop-${runs.length}`, LOOP_TIMEOUT_MS);
        runs.push({ startedAt, endedAt: Date.now() });
      } catch (err) {
        const error = `session ${runs.length} (${new Date(startedAt).toISOString()}): ${err instanceof Error ? err.message : String(err)}`;
        runs.push({ startedAt, endedAt: Date.now(), error });
      }
    }
    expect(existsSync(stopFile)).toBe(true);
    const killedAt = Number(readFileSync(killFile, 'utf8'));
    const after = runs.filter((r) => r.startedAt >= killedAt);
    const failed = after.filter((r) => r.error);
    // A session open on the killed worker is lost with it, and its client
    // learns it late: ncat (up to 7.95, nmap issue #1779) does not exit when
    // the other end closes the connection, so the MCP client waits for its
    // request's time-out (mcp-connect, or a newer ncat, sees the close at once).
    const cut = runs.filter((r) => r.startedAt < killedAt && r.error);
    process.stdout.write(
      `compose-test: ${runs.length} sessions; ${after.length} opened after the kill, ${failed.length} of them failed` +
        cut.map((r) => `; cut by the kill, ${r.endedAt - killedAt} ms after it: ${r.error}`).join('') +
        '\n',
    );
    expect(failed.map((r) => r.error)).toEqual([]);
    expect(after.length).toBeGreaterThan(0);
  });
});
