import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@moodle-mcp/common';
import { DEFAULT_CONFIG_FILE, loadProxyConfig, publicConfig } from './config.js';

const TOKEN = 'admin-token-0123456789abcdef';
let dir: string;
beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'proxy-config-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (content: unknown): string => {
  const f = path.join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};
const problems = (env: Record<string, string>): string[] => {
  try {
    loadProxyConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};
const worker = (n: number) => ({ name: `worker-${n}`, mcpPort: 3100 + n, httpPort: 9500 + n });

describe('proxy configuration', () => {
  it('loads the shipped default file with its documented defaults', () => {
    const c = loadProxyConfig({ PROXY_ADMIN_TOKEN: TOKEN });
    expect(c.configFile).toBe(DEFAULT_CONFIG_FILE);
    expect(c.targets.map((t) => t.name)).toEqual(['primary', 'standby']);
    expect(c).toMatchObject({ failoverThreshold: 3, healthCheckIntervalMs: 10_000, failback: { policy: 'manual' }, server: { port: 4000 } });
  });

  it('lets each environment variable override its field, and leaves the file alone when unset', () => {
    const f = file({ targets: [{ name: 'a', priority: 1, workers: [worker(1)] }], failoverThreshold: 5, healthCheckIntervalMs: 2000, server: { port: 4100 } });
    expect(loadProxyConfig({ PROXY_ADMIN_TOKEN: TOKEN, PROXY_CONFIG_FILE: f })).toMatchObject({ failoverThreshold: 5, healthCheckIntervalMs: 2000, server: { port: 4100 } });
    const c = loadProxyConfig({ PROXY_ADMIN_TOKEN: TOKEN, PROXY_CONFIG_FILE: f, PROXY_FAILOVER_THRESHOLD: '2', PROXY_HEALTH_INTERVAL_MS: '500', PROXY_PORT: '0', PROXY_FAILBACK: 'auto', HAPROXY_SOCKET: '/tmp/h.sock' });
    expect(c).toMatchObject({ failoverThreshold: 2, healthCheckIntervalMs: 500, server: { port: 0 }, failback: { policy: 'auto' }, haproxy: { socket: '/tmp/h.sock' } });
  });

  it('names every bad variable at once and never echoes the token', () => {
    const found = problems({ PROXY_ADMIN_TOKEN: 'short secret', PROXY_PORT: 'x', PROXY_FAILBACK: 'sometimes', PROXY_FAILOVER_THRESHOLD: '0' });
    expect([...new Set(found.map((p) => p.split(':')[0]))].sort()).toEqual(['PROXY_ADMIN_TOKEN', 'PROXY_FAILBACK', 'PROXY_FAILOVER_THRESHOLD', 'PROXY_PORT']);
    expect(found.join('\n')).not.toContain('short secret');
    expect(problems({})).toEqual([expect.stringMatching(/^PROXY_ADMIN_TOKEN: /)]);
  });

  it('names a missing or broken file', () => {
    expect(problems({ PROXY_ADMIN_TOKEN: TOKEN, PROXY_CONFIG_FILE: path.join(dir, 'nope.json') })).toEqual([expect.stringMatching(/PROXY_CONFIG_FILE: .*nope\.json: no such file/)]);
    expect(problems({ PROXY_ADMIN_TOKEN: TOKEN, PROXY_CONFIG_FILE: file('{ not json') })[0]).toMatch(/not valid JSON/);
  });

  it("names the file's bad fields by path, and inconsistent targets", () => {
    const bad = problems({ PROXY_ADMIN_TOKEN: TOKEN, PROXY_CONFIG_FILE: file({ targets: [{ name: 'a b', priority: -1, workers: [{ name: 'w', mcpPort: 70000, httpPort: 1 }] }], surprise: 1 }) });
    const joined = bad.join('\n');
    expect(joined).toMatch(/targets\.0\.name/);
    expect(joined).toMatch(/targets\.0\.priority/);
    expect(joined).toMatch(/targets\.0\.workers\.0\.mcpPort/);
    expect(joined).toMatch(/surprise/);
    const twice = problems({
      PROXY_ADMIN_TOKEN: TOKEN,
      PROXY_CONFIG_FILE: file({ targets: [{ name: 'a', priority: 1, minHealthy: 3, workers: [worker(1)] }, { name: 'a', priority: 2, workers: [worker(1)] }] }),
    }).join('\n');
    expect(twice).toMatch(/the name a is used twice/);
    expect(twice).toMatch(/worker-1 is in more than one target/);
    expect(twice).toMatch(/minHealthy: 3 is more than its 1 worker/);
  });

  it('shows no secret in /config', () => {
    const shown = JSON.stringify(publicConfig(loadProxyConfig({ PROXY_ADMIN_TOKEN: TOKEN })));
    expect(shown).not.toContain(TOKEN);
    expect(shown).toContain('"adminToken":"[set]"');
  });
});
