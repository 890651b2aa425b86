/**
 * HAProxy for the benchmarks: the stack's own haproxy/haproxy.cfg, run the
 * way the native runner runs it (WORKER_DISCOVERY=runtime: backend `workers`
 * starts empty), on loopback ports of a temp dir. Every system under test is
 * put behind this one HAProxy in turn by replacing the backend's servers
 * through the runtime API (`setServers`), with the same HaproxyApi class the
 * proxy service drives it with.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HaproxyApi } from '@moodle-mcp/proxy/dist/haproxyApi.js';
import { startProcess, startedWhen, stop, until } from './proc.js';
import { freePort } from './ports.js';

const BACKEND = 'workers';

export interface BackendServer {
  name: string;
  port: number;
  /** HTTP port answering GET /ready (a worker): health-checked like in production. Without it the server is not checked. */
  checkPort?: number;
}

export interface BenchHaproxy {
  /** The VIP: MCP clients connect here. */
  port: number;
  pid: number;
  api: HaproxyApi;
  /** Replaces every server of backend `workers` (open sessions on the old ones are cut); resolves when the new ones are UP. */
  setServers(servers: BackendServer[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The `default-server` options of backend `workers` in haproxy.cfg, with
 * "${VAR-default}" expanded to the default: servers added through the runtime
 * API do not inherit default-server (HAProxy 2.6), as scripts/local.sh notes.
 */
function serverOptions(cfg: string): string {
  const line = /^\s*default-server\s+(.+)$/m.exec(cfg)?.[1];
  if (!line) throw new Error('no default-server line in haproxy/haproxy.cfg');
  return line.replace(/"\$\{[A-Z_]+-([^}]*)\}"/g, '$1');
}

export async function startBenchHaproxy(root: string, dir: string): Promise<BenchHaproxy> {
  const cfgFile = path.join(root, 'haproxy/haproxy.cfg');
  const options = serverOptions(readFileSync(cfgFile, 'utf8'));
  const allowlist = path.join(dir, 'allowlist.txt');
  writeFileSync(allowlist, '127.0.0.1\n');
  const socket = path.join(dir, 'haproxy.sock');
  const [port, statsPort] = [await freePort(), await freePort()];
  const log = path.join(dir, 'haproxy.log');
  const child = startProcess(existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy', ['-db', '-f', cfgFile], {
    log,
    env: {
      HAPROXY_BIND: '127.0.0.1',
      MCP_PORT: String(port),
      STATS_PORT: String(statsPort),
      STATS_PASSWORD: randomBytes(12).toString('hex'),
      HAPROXY_ALLOWLIST: allowlist,
      HAPROXY_SOCKET: socket,
      WORKER_DISCOVERY: 'runtime',
      // The load generator is one address standing in for thousands of teachers:
      // the per-address limits (made for a school behind one NAT) would refuse it.
      HAPROXY_SRC_MAXCONN: '1000000',
      HAPROXY_SRC_CONN_RATE: '1000000',
    },
  });
  const api = new HaproxyApi(socket, 5_000);
  try {
    await startedWhen('haproxy runtime API', child, async () => (await api.command('show info')).includes('Name: HAProxy'), 15_000, log);
  } catch (err) {
    await stop(child);
    throw err;
  }
  let current: string[] = [];
  const expectAnswer = async (cmd: string, ok: RegExp) => {
    const answer = (await api.command(cmd)).trim();
    if (!ok.test(answer)) throw new Error(`HAProxy refused "${cmd}": ${answer.replace(/\s+/g, ' ')}`);
  };
  const remove = async (name: string) => {
    await api.setState(BACKEND, name, 'maint');
    await api.command(`shutdown sessions server ${BACKEND}/${name}`);
    // "del server" refuses while connections are still being closed.
    await until(`HAProxy to delete ${name}`, async () => /Server deleted/.test(await api.command(`del server ${BACKEND}/${name}`)), 15_000);
  };
  const add = async (s: BackendServer) => {
    const check = s.checkPort ? ` check port ${s.checkPort} ${options}` : '';
    await expectAnswer(`add server ${BACKEND}/${s.name} 127.0.0.1:${s.port}${check}`, /New server registered/);
    if (s.checkPort) await expectAnswer(`enable health ${BACKEND}/${s.name}`, /^$/);
    await api.setState(BACKEND, s.name, 'ready');
  };
  return {
    port,
    pid: child.pid!,
    api,
    async setServers(servers) {
      for (const name of current) await remove(name);
      current = [];
      for (const s of servers) {
        await add(s);
        current.push(s.name);
      }
      const names = new Set(servers.map((s) => s.name));
      await until(
        `${[...names].join(', ')} UP in HAProxy`,
        async () => (await api.servers(BACKEND)).filter((s) => names.has(s.name) && s.op === 'UP' && s.admin === 'ready').length === names.size,
        15_000,
      );
    },
    stop: () => stop(child),
  };
}
