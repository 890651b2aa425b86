#!/usr/bin/env node
/**
 * mcp-connect [OPTIONS] HOST:PORT — a reconnecting stdio ↔ TCP/TLS bridge for
 * MCP clients, usable in place of `ncat [--ssl ...] HOST PORT`:
 *
 *   { "mcpServers": { "moodle": { "command": "mcp-connect", "args": ["10.0.0.5:3000"] } } }
 *   { "mcpServers": { "moodle": { "command": "mcp-connect", "args": ["--ssl-trustfile", "ca.pem",
 *     "--ssl-cert", "alice.crt", "--ssl-key", "alice.key", "10.0.0.5", "3443"] } } }
 *
 * Logs are JSON lines on stderr (stdout is the protocol), warnings and errors
 * only unless --verbose or MCP_CONNECT_VERBOSE=1. Exit codes: 0 the client
 * closed stdin; 1 the server could not be reached (or refused the TLS
 * handshake) for --give-up-after seconds; 2 usage or a bad TLS file.
 */
import { Bridge } from './bridge.js';
import { parseArgs, USAGE } from './config.js';
import { dialer } from './dial.js';

function main(): void {
  const parsed = parseArgs(process.argv.slice(2), process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  if (parsed.kind === 'usage') {
    process.stderr.write(parsed.errors.map((e) => `mcp-connect: ${e}\n`).join('') + USAGE + '\n');
    process.exit(2);
  }
  const { config } = parsed;
  const server = `${config.host}:${config.port}`;
  const log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => {
    if (level === 'info' && !config.verbose) return;
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, service: 'mcp-connect', message, server, ...fields }) + '\n');
  };
  log('info', 'starting', {
    tls: config.tls ? { ...config.tls.files, verifyName: config.tls.verifyName } : false,
    giveUpAfterSeconds: config.giveUpMs / 1000,
  });
  const bridge = new Bridge({ connect: dialer(config), input: process.stdin, output: process.stdout, maxReconnectMs: config.giveUpMs, log });
  // Exit once stdout has taken every answer (a pipe is written asynchronously).
  bridge.on('end', (code: number) => process.stdout.write('', () => process.exit(code)));
  bridge.start();
}

if (require.main === module) main();
