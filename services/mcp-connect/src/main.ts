#!/usr/bin/env node
/**
 * mcp-connect HOST:PORT — a reconnecting stdio ↔ TCP bridge for MCP clients,
 * usable in place of `ncat HOST PORT`:
 *
 *   { "mcpServers": { "moodle": { "command": "mcp-connect", "args": ["10.0.0.5:3000"] } } }
 *
 * Logs are JSON lines on stderr (stdout is the protocol), warnings and errors
 * only unless MCP_CONNECT_VERBOSE=1. Exit codes: 0 the client closed stdin;
 * 1 the server could not be reached for --give-up-after seconds; 2 usage.
 */
import net from 'node:net';
import { Bridge } from './bridge.js';

const USAGE = `usage: mcp-connect HOST:PORT [--give-up-after SECONDS]
  Bridges this process's stdin/stdout to an MCP server over TCP (newline-delimited
  JSON-RPC), reconnecting and restoring the session when the connection drops.
  --give-up-after  stop trying to reconnect after this many seconds (default 60)`;

function usage(message: string): never {
  process.stderr.write(`mcp-connect: ${message}\n${USAGE}\n`);
  process.exit(2);
}

export function parseArgs(argv: string[]): { host: string; port: number; giveUpMs: number } {
  let target: string | undefined;
  let giveUpS = 60;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else if (a === '--give-up-after') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1 || v > 86_400) usage('--give-up-after needs a whole number of seconds from 1 to 86400');
      giveUpS = v;
    } else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (target) usage(`one HOST:PORT only (got ${target} and ${a})`);
    else target = a;
  }
  if (!target) usage('HOST:PORT is missing');
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(target);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) usage(`expected HOST:PORT (e.g. 10.0.0.5:3000), got ${target}`);
  return { host: m[1]!, port, giveUpMs: giveUpS * 1000 };
}

if (require.main === module) {
  const { host, port, giveUpMs } = parseArgs(process.argv.slice(2));
  const verbose = process.env.MCP_CONNECT_VERBOSE === '1';
  const bridge = new Bridge({
    connect: () => net.connect({ host, port }),
    input: process.stdin,
    output: process.stdout,
    maxReconnectMs: giveUpMs,
    log: (level, message, fields) => {
      if (level === 'info' && !verbose) return;
      process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, service: 'mcp-connect', message, server: `${host}:${port}`, ...fields }) + '\n');
    },
  });
  // Exit once stdout has taken every answer (a pipe is written asynchronously).
  bridge.on('end', (code: number) => process.stdout.write('', () => process.exit(code)));
  bridge.start();
}
