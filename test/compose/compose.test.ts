import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEMO_TOKEN } from '@moodle-mcp/moodle-sim';
import { cleanup, composeConfig, composeVersion, renderedModel, ROOT, run, type ComposeModel, type ComposeService } from './composeCli';

/**
 * The Docker Compose path, checked statically: no engine runs here. The real
 * `docker-compose` binary (Debian 12: 1.29) renders docker-compose.yml with a
 * test environment; the Dockerfile, the worker image's entry point and the
 * container health check script are checked as files and as programs.
 */
const SECRETS = { REDIS_PASSWORD: 'test-redis-password', STATS_PASSWORD: 'test-stats-password', GRAFANA_ADMIN_PASSWORD: 'test-grafana-password' };
const CORE = ['haproxy', 'redis', 'mcp-worker', 'moodle-sim'];
const OPTIONAL: Record<string, string> = { proxy: 'proxy', prometheus: 'observability', grafana: 'observability', 'redis-exporter': 'observability' };
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

let version: string;
let model: ComposeModel;
const service = (name: string): ComposeService => {
  const s = model.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
const dependencies = (s: ComposeService): Record<string, { condition?: string }> =>
  Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, {}])) : (s.depends_on ?? {});

beforeAll(async () => {
  version = await composeVersion();
  model = await renderedModel(version, SECRETS);
});
afterAll(cleanup);

describe('docker-compose.yml', () => {
  it('renders with the test environment and declares the whole stack', () => {
    expect(Object.keys(model.services).sort()).toEqual([...CORE, ...Object.keys(OPTIONAL)].sort());
    expect(Object.keys(model.volumes ?? {}).sort()).toEqual(['grafana-data', 'prometheus-data']);
  });

  it('uses no key that docker-compose 1.29 rejects (top-level name)', () => {
    expect(read('docker-compose.yml')).not.toMatch(/^name:/m);
  });

  it('gives every service a health check, restart unless-stopped and rotated logs', () => {
    for (const [name, s] of Object.entries(model.services)) {
      expect({ name, test: s.healthcheck?.test, disable: s.healthcheck?.disable }).toEqual({ name, test: expect.anything(), disable: undefined });
      expect({ name, restart: s.restart }).toEqual({ name, restart: 'unless-stopped' });
      expect({ name, max: s.logging?.options?.['max-size'] }).toEqual({ name, max: expect.any(String) });
    }
  });

  it('starts a service only once what it depends on is healthy', () => {
    expect(Object.keys(dependencies(service('haproxy')))).toEqual(['mcp-worker']);
    expect(Object.keys(dependencies(service('mcp-worker'))).sort()).toEqual(['moodle-sim', 'redis']);
    for (const [name, s] of Object.entries(model.services)) {
      for (const [dep, how] of Object.entries(dependencies(s))) {
        expect({ name, dep, condition: how.condition }).toEqual({ name, dep, condition: 'service_healthy' });
      }
    }
  });

  it('publishes only the VIP and the admin ports: never Redis, a worker or the simulator', () => {
    for (const name of ['redis', 'mcp-worker', 'moodle-sim', 'redis-exporter']) {
      expect({ name, ports: service(name).ports }).toEqual({ name, ports: undefined });
    }
    expect(JSON.stringify(service('haproxy').ports)).toMatch(/3000/);
    expect(JSON.stringify(service('haproxy').ports)).toMatch(/8404/);
    expect(JSON.stringify(service('grafana').ports)).toMatch(/3001/);
  });

  it('runs WORKER_REPLICAS workers (3 by default) that `--scale` can multiply', async () => {
    expect(Number(service('mcp-worker').deploy?.replicas)).toBe(3);
    // A fixed name or host port would make a second replica impossible.
    expect(service('mcp-worker').container_name).toBeUndefined();
    const five = await renderedModel(version, { ...SECRETS, WORKER_REPLICAS: '5' });
    expect(Number(five.services['mcp-worker']?.deploy?.replicas)).toBe(5);
  });

  it('keeps the proxy and the observability services behind profiles, the core outside any', () => {
    for (const name of CORE) expect({ name, profiles: service(name).profiles }).toEqual({ name, profiles: undefined });
    for (const [name, profile] of Object.entries(OPTIONAL)) expect({ name, profiles: service(name).profiles }).toEqual({ name, profiles: [profile] });
  });

  it('points the workers at Redis with its password and at the simulator for demo mode', () => {
    const env = service('mcp-worker').environment ?? {};
    expect(env).toEqual(
      expect.objectContaining({
        REDIS_URL: 'redis://redis:6379',
        REDIS_PASSWORD: SECRETS.REDIS_PASSWORD,
        DEMO_MOODLE_URL: 'http://moodle-sim:8088',
        DEMO_MOODLE_TOKEN: DEMO_TOKEN,
        MCP_PORT: '3000',
        HTTP_PORT: '9464',
      }),
    );
    // Each replica names itself after its container; one WORKER_ID for all would merge their metrics.
    expect(env).not.toHaveProperty('WORKER_ID');
    expect(service('moodle-sim').environment?.SIM_TOKEN).toBe(DEMO_TOKEN);
    expect(service('redis').environment?.REDISCLI_AUTH).toBe(SECRETS.REDIS_PASSWORD);
    expect(JSON.stringify(service('redis').command)).toMatch(/--requirepass/);
  });

  it.each(Object.keys(SECRETS))('refuses to render without %s and names it', async (name) => {
    const vars: Record<string, string> = { ...SECRETS };
    delete vars[name];
    const r = await composeConfig(vars, ['-q']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`set ${name} in .env`);
  });

  it('passes HAProxy only variables that haproxy/haproxy.cfg reads', () => {
    const cfg = read('haproxy/haproxy.cfg');
    for (const name of Object.keys(service('haproxy').environment ?? {})) {
      expect({ name, readByCfg: cfg.includes('${' + name) }).toEqual({ name, readByCfg: true });
    }
  });

  it('documents every variable it reads in .env.example', () => {
    const documented = read('.env.example');
    const yaml = read('docker-compose.yml').replace(/^\s*#.*$/gm, '');
    const used = new Set([...yaml.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    used.add('COMPOSE_PROJECT_NAME');
    for (const name of used) expect({ name, documented: new RegExp(`^#?\\s*${name}=`, 'm').test(documented) }).toEqual({ name, documented: true });
  });
});

// Build stages and each target's contract, read from the file (no engine to build them here).
describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const lines = text.split('\n').filter((l) => l.trim() && !l.trimStart().startsWith('#'));
  const froms = lines.filter((l) => /^FROM\s/i.test(l));
  /** The lines of one stage: its FROM up to the next FROM. */
  const stage = (name: string): string[] => {
    const start = lines.findIndex((l) => new RegExp(`^FROM \\S+ AS ${name}$`).test(l));
    if (start < 0) return [];
    const next = lines.findIndex((l, i) => i > start && /^FROM\s/i.test(l));
    return lines.slice(start, next < 0 ? undefined : next);
  };

  it('is multi-stage on a Debian bookworm Node 20 base, compiling the whole workspace once', () => {
    expect(text).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    for (const from of froms) expect(from).toMatch(/^FROM (\$\{NODE_IMAGE\}|runtime) AS [a-z-]+$/);
    expect(stage('build').join('\n')).toMatch(/RUN npm ci --no-audit --no-fund\n/);
    expect(stage('build').join('\n')).toContain('npx tsc -b services/mcp-worker services/moodle-sim services/proxy');
  });

  it('ships, in every image, production dependencies of its own workspace only, as NODE_ENV=production', () => {
    const runtime = stage('runtime').join('\n');
    expect(runtime).toMatch(/^ARG SERVICE$/m);
    expect(runtime).toContain('npm ci --omit=dev --workspace "@moodle-mcp/$SERVICE" ');
    expect(runtime).toMatch(/ENV NODE_ENV=production/);
    expect(runtime).toContain('COPY --from=build /app/services/${SERVICE}/dist/ services/${SERVICE}/dist/');
  });

  describe.each(['mcp-worker', 'moodle-sim', 'proxy'])('target %s', (svc) => {
    const target = stage(svc);

    it('runs as node with a health check, its ports, its labels and its main.js', () => {
      expect(target[0]).toBe(`FROM runtime AS ${svc}`);
      expect(target.find((l) => /^USER\s/.test(l))).toBe('USER node');
      expect(target.some((l) => /^HEALTHCHECK\s/.test(l))).toBe(true);
      expect(target.some((l) => /^EXPOSE\s+\d+/.test(l))).toBe(true);
      expect(target.some((l) => /^LABEL\s/.test(l))).toBe(true);
      expect(target[target.length - 1]).toBe(`CMD ["node", "services/${svc}/dist/main.js"]`);
    });

    it('is the target docker-compose.yml builds the service from, with SERVICE set to it', () => {
      const build = service(svc).build as { dockerfile?: string; target?: string; args?: Record<string, string> } | undefined;
      expect(build).toMatchObject({ dockerfile: 'Dockerfile', target: svc, args: expect.objectContaining({ SERVICE: svc }) });
    });
  });
});

describe('.dockerignore', () => {
  it('keeps host builds, local state and secrets out of the build context', () => {
    const entries = read('.dockerignore').split('\n');
    for (const e of ['**/node_modules', '**/dist', '.git', 'run', 'logs', 'bench/results', '.env']) expect(entries).toContain(e);
  });
});

describe('mcp-worker image entry point (docker/mcp-worker-entrypoint.sh)', () => {
  const entrypoint = path.join(ROOT, 'docker/mcp-worker-entrypoint.sh');
  const envOf = async (env: Record<string, string>) => {
    const r = await run('sh', [entrypoint, 'env'], env);
    const vars = Object.fromEntries(
      r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    return { ...r, vars };
  };
  const demo = { DEMO_MOODLE_URL: 'http://moodle-sim:8088', DEMO_MOODLE_TOKEN: DEMO_TOKEN };

  it('switches to the simulator in demo mode when MOODLE_URL is empty', async () => {
    const { code, vars } = await envOf({ ...demo, MOODLE_URL: '', MOODLE_TOKEN: 'a-real-token', MOODLE_DEMO: 'false' });
    expect(code).toBe(0);
    expect(vars).toEqual(expect.objectContaining({ MOODLE_URL: demo.DEMO_MOODLE_URL, MOODLE_TOKEN: DEMO_TOKEN, MOODLE_DEMO: 'true' }));
    expect(vars).not.toHaveProperty('DEMO_MOODLE_TOKEN');
  });

  it('leaves a configured Moodle alone', async () => {
    const { vars } = await envOf({ ...demo, MOODLE_URL: 'https://moodle.example', MOODLE_TOKEN: 'a-real-token', MOODLE_DEMO: 'false' });
    expect(vars).toEqual(expect.objectContaining({ MOODLE_URL: 'https://moodle.example', MOODLE_TOKEN: 'a-real-token', MOODLE_DEMO: 'false' }));
  });

  it('reads secrets from *_FILE and refuses both forms at once without printing either', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'entrypoint-'));
    writeFileSync(path.join(dir, 'token'), 'token-from-a-file\n');
    const ok = await envOf({ MOODLE_URL: 'https://moodle.example', MOODLE_TOKEN_FILE: path.join(dir, 'token') });
    expect(ok.vars.MOODLE_TOKEN).toBe('token-from-a-file');
    expect(ok.vars).not.toHaveProperty('MOODLE_TOKEN_FILE');
    const both = await envOf({ MOODLE_TOKEN: 'token-in-env', MOODLE_TOKEN_FILE: path.join(dir, 'token') });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/MOODLE_TOKEN and MOODLE_TOKEN_FILE/);
    expect(both.stderr + both.stdout).not.toMatch(/token-in-env|token-from-a-file/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('container health check (docker/healthcheck.cjs)', () => {
  it('exits 0 on 2xx, 1 on 503 and on a refused connection', async () => {
    const server = http.createServer((req, res) => res.writeHead(req.url === '/ready' ? 200 : 503).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const check = (url: string) => run(process.execPath, [path.join(ROOT, 'docker/healthcheck.cjs'), url]);
    try {
      expect((await check(`${base}/ready`)).code).toBe(0);
      expect((await check(`${base}/draining`)).code).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect((await check(base)).code).toBe(1);
  });
});
