import net from 'node:net';

/** What the proxy sets a server to: take new sessions, keep open ones only, or out of service. */
export type ServerAdminState = 'ready' | 'drain' | 'maint';

export interface ServerState {
  name: string;
  /** HAProxy's operational view: UP, DOWN, or a transition. */
  op: 'DOWN' | 'STARTING' | 'UP' | 'STOPPING';
  admin: ServerAdminState;
  address: string;
}

const OP = ['DOWN', 'STARTING', 'UP', 'STOPPING'] as const;
// srv_admin_state bits (HAProxy's server-t.h): forced, inherited and resolver maintenance (SRV_ADMF_MAINT,
// 0x23); forced and inherited drain. Not 0x04 (CMAINT): it only records that the configuration said `disabled`,
// and stays set after the server has been enabled at runtime (the native runner's slots).
const MAINT_BITS = 0x01 | 0x02 | 0x20;
const DRAIN_BITS = 0x08 | 0x10;

/**
 * HAProxy's runtime API (the master-less "stats socket"): one command per
 * connection, answer read to EOF. `endpoint` is a unix socket path or
 * `host:port`. Every call is bounded by `timeoutMs`; failures reject with a
 * message that names the endpoint and the command's verb.
 */
export class HaproxyApi {
  constructor(
    readonly endpoint: string,
    private readonly timeoutMs = 3_000,
  ) {}

  command(cmd: string): Promise<string> {
    if (/[\n;]/.test(cmd)) return Promise.reject(new Error('one runtime API command at a time (no newline or ";")'));
    const m = /^(.*):(\d+)$/.exec(this.endpoint);
    const opts: net.NetConnectOpts = m ? { host: m[1], port: Number(m[2]) } : { path: this.endpoint };
    return new Promise((resolve, reject) => {
      const socket = net.connect(opts);
      const chunks: Buffer[] = [];
      const fail = (why: string) => {
        socket.destroy();
        reject(new Error(`HAProxy runtime API ${this.endpoint}: ${cmd.split(' ').slice(0, 2).join(' ')}: ${why}`));
      };
      socket.setTimeout(this.timeoutMs, () => fail(`no answer within ${this.timeoutMs} ms`));
      socket.on('connect', () => socket.end(`${cmd}\n`));
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
      socket.on('end', () => {
        socket.destroy();
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
  }

  /** The servers of `backend` with their operational and administrative states. */
  async servers(backend: string): Promise<ServerState[]> {
    const text = await this.command(`show servers state ${backend}`);
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('# '));
    if (!header) throw new Error(`HAProxy runtime API ${this.endpoint}: unexpected answer to show servers state: ${text.trim().slice(0, 200)}`);
    const col = new Map(header.slice(2).split(' ').map((n, i) => [n, i]));
    const at = (f: string[], n: string) => f[col.get(n) ?? -1] ?? '';
    return lines
      .filter((l) => l && !l.startsWith('#') && l.includes(' '))
      .map((l) => l.split(' '))
      .filter((f) => at(f, 'be_name') === backend)
      .map((f) => {
        const admin = Number(at(f, 'srv_admin_state'));
        return {
          name: at(f, 'srv_name'),
          op: OP[Number(at(f, 'srv_op_state'))] ?? 'DOWN',
          admin: admin & MAINT_BITS ? 'maint' : admin & DRAIN_BITS ? 'drain' : 'ready',
          address: `${at(f, 'srv_addr')}:${at(f, 'srv_port')}`,
        };
      });
  }

  /** Sets one server's administrative state; rejects with HAProxy's own words when it refuses. */
  async setState(backend: string, server: string, state: ServerAdminState): Promise<void> {
    const answer = (await this.command(`set server ${backend}/${server} state ${state}`)).trim();
    if (answer) throw new Error(`HAProxy refused to set ${backend}/${server} to ${state}: ${answer}`);
  }
}
