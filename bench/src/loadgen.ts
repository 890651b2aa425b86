#!/usr/bin/env node
/**
 * The load generator on its own, against any MCP endpoint on this machine
 * (a `make local` stack's VIP, one worker's MCP port, ...): opens C sessions
 * at once, then sends tool calls on each -- one tool with its arguments, or
 * the weighted read mix -- and prints what it measured (JSON on stdout, a
 * summary and progress on stderr). Bounded by --calls per session and
 * --duration-s; loopback only.
 *
 *   node bench/dist/loadgen.js --port 3000 --sessions 50 --tool get_courses
 *   node bench/dist/loadgen.js --port 3000 --sessions 20 --mix --pipeline 4
 */
import { flag, int, runScript, str, UsageError, type Parsed } from './args.js';
import { closeAll, openSessions, runCalls } from './load.js';
import { say } from './progress.js';
import { nextReadCall, type Call } from './readMix.js';

const OPTIONS = {
  port: int(3000, 1, 65535, 'MCP endpoint on 127.0.0.1 (newline-delimited JSON-RPC over TCP)'),
  sessions: int(10, 1, 10_000, 'sessions opened at once'),
  calls: int(100, 1, 1_000_000, 'most calls per session'),
  'duration-s': int(10, 1, 3600, 'no call starts after this many seconds'),
  pipeline: int(1, 1, 64, 'calls outstanding per session'),
  tool: str('get_courses', 'the tool to call'),
  args: str('{}', "the tool's arguments, as JSON"),
  mix: flag('call the weighted mix of read tools instead of --tool'),
  'timeout-s': int(30, 1, 600, 'longest wait for a session to be set up or a call to be answered, seconds'),
};

async function main(o: Parsed<typeof OPTIONS>): Promise<void> {
  let args: Record<string, unknown>;
  try {
    args = JSON.parse(o.args) as Record<string, unknown>;
    if (!args || typeof args !== 'object' || Array.isArray(args)) throw new Error('not an object');
  } catch {
    throw new UsageError(`--args must be a JSON object, e.g. '{"courseId":2}' (got ${o.args})`);
  }
  const call: Call = [o.tool, args];
  const next = o.mix ? nextReadCall : () => call;
  say(
    `loadgen: ${o.sessions} sessions on 127.0.0.1:${o.port}, ${o.mix ? 'the read mix' : `${o.tool} ${o.args}`}, ${o.pipeline} outstanding each, at most ${o.calls} calls each or ${o['duration-s']} s`,
  );
  const set = await openSessions(o.port, o.sessions, { timeoutMs: o['timeout-s'] * 1000, label: 'sessions' });
  try {
    say(`${set.opened}/${o.sessions} sessions set up in ${set.wallSeconds.toFixed(2)} s (connect+initialize p50 ${set.connectInitMs?.p50 ?? '—'} ms)`);
    const calls = set.opened
      ? await runCalls(
          set.clients,
          { perSession: o.calls, pipeline: o.pipeline, durationMs: o['duration-s'] * 1000, timeoutMs: o['timeout-s'] * 1000, next },
          'calls',
        )
      : undefined;
    if (calls)
      say(`${calls.ok} calls answered, ${calls.callsPerSecond}/s, p50 ${calls.latencyMs?.p50} ms, p99 ${calls.latencyMs?.p99} ms, ${calls.errors} errors`);
    process.stdout.write(
      JSON.stringify({
        sessions: { requested: o.sessions, opened: set.opened, errors: set.errors.toJSON(), connectInitMs: set.connectInitMs, wallSeconds: set.wallSeconds },
        calls,
      }) + '\n',
    );
    if (set.errors.count || calls?.errors) process.exitCode = 1;
  } finally {
    closeAll(set.clients);
  }
}

runScript('loadgen', 'loadgen.js', 'The load generator alone: C MCP sessions on a port of 127.0.0.1, then tool calls on each.', OPTIONS, main);
