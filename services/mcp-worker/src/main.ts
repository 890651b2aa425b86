#!/usr/bin/env node
import { ConfigError } from '@moodle-mcp/common';
import { loadWorkerConfig } from './config.js';
import { allTools } from './tools/index.js';
import { startWorker } from './worker.js';

const USAGE = `Usage: moodle-mcp-worker [--stdio]

  (default)  network mode: MCP sessions over TCP on MCP_PORT (one per connection),
             health and metrics over HTTP on HTTP_PORT
  --stdio    local mode: one MCP session over stdin/stdout; logs go to stderr

Configuration comes from environment variables; see .env.example.`;

/** Owns start-up and shutdown: config errors exit 2, a second signal or the deadline forces exit. */
async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const unknown = args.filter((a) => a !== '--stdio');
  if (unknown.length) {
    process.stderr.write(`moodle-mcp-worker: unknown argument ${unknown.join(' ')}\n\n${USAGE}\n`);
    process.exit(2);
  }
  const mode = args.includes('--stdio') ? 'stdio' : 'tcp';
  let config;
  try {
    config = loadWorkerConfig(process.env, mode);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      process.exit(2);
    }
    throw err;
  }
  const worker = await startWorker(config, { tools: allTools, mode });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      process.stderr.write(`moodle-mcp-worker: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    // The drain has its own deadline; this one guards against anything hanging after it.
    setTimeout(() => process.exit(1), config.DRAIN_TIMEOUT_MS + 5_000).unref();
    void worker.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // In stdio mode the worker stops by itself when stdin ends (after answering what it was asked).
  void worker.stopped.then(() => process.exit(0));
}

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`moodle-mcp-worker: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
