#!/usr/bin/env node
/**
 * Runs the simulator as a process: `node services/moodle-sim/dist/main.js`.
 * Configured by SIM_HOST, SIM_PORT, SIM_TOKEN, SIM_LATENCY_MS, SIM_DEBUG,
 * LOG_LEVEL. Logs one JSON line with its URL at start (never the token) and
 * stops cleanly on SIGTERM/SIGINT, exiting non-zero if stopping takes over 5 s.
 */
import { ConfigError, createLogger, errorMessage } from '@moodle-mcp/common';
import { DEMO_TEACHERS } from './auth/demoTeachers.js';
import { DEMO_TOKEN, defaultTokens } from './auth/tokens.js';
import { loadConfig } from './config.js';
import { startSim } from './server.js';

const SHUTDOWN_DEADLINE_MS = 5000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : errorMessage(err)}\n`);
    process.exit(2);
  }
  const secrets = [config.SIM_TOKEN, ...DEMO_TEACHERS.flatMap((t) => [t.token, t.password])];
  const logger = createLogger({ service: 'moodle-sim', level: config.LOG_LEVEL, secrets });
  // SIM_TOKEN takes the demo token's place (site-admin powers); the demo teachers' own tokens stay active.
  const { [DEMO_TOKEN]: spec, ...teachers } = defaultTokens();
  const sim = await startSim({
    host: config.SIM_HOST,
    port: config.SIM_PORT,
    latencyMs: config.SIM_LATENCY_MS,
    debug: config.SIM_DEBUG,
    tokens: { ...teachers, [config.SIM_TOKEN]: spec! },
    logger,
  });
  logger.info('moodle-sim listening', { url: sim.url, latencyMs: config.SIM_LATENCY_MS, debug: config.SIM_DEBUG });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('moodle-sim stopping', { signal });
    const deadline = setTimeout(() => {
      logger.error('moodle-sim stop deadline exceeded');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    sim.stop().then(
      () => {
        logger.info('moodle-sim stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error('moodle-sim stop failed', { error: errorMessage(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`moodle-sim: failed to start: ${errorMessage(err)}\n`);
  process.exit(1);
});
