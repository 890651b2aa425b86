#!/usr/bin/env node
import { ConfigError } from '@moodle-mcp/common';
import { loadProxyConfig, type ProxyConfig } from './config.js';
import { startProxy } from './proxy.js';

/** Start-up and shutdown of the proxy service. Exit codes: 0 stopped, 1 failed, 2 bad configuration. */
async function main(): Promise<void> {
  let config: ProxyConfig;
  try {
    config = loadProxyConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const proxy = await startProxy(config);
  const shutdown = (signal: string) => {
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', service: 'proxy', message: `${signal}: stopping` }) + '\n');
    setTimeout(() => process.exit(1), 10_000).unref();
    void proxy.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`proxy: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
