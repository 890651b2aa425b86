import net from 'node:net';

/**
 * HAProxy's runtime API over its UNIX socket: one command per connection
 * (non-interactive mode), the whole answer as text.
 */
export function haproxyCommand(socketPath: string, command: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path: socketPath });
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`HAProxy runtime API: no answer to "${command}" within ${timeoutMs} ms`));
    }, timeoutMs);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(command + '\n'));
    s.on('data', (chunk: string) => (out += chunk));
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

export interface HaproxyServer {
  name: string;
  /** UP, DOWN, MAINT, "UP 1/2" (going down), ... */
  status: string;
  /** Current sessions. */
  scur: number;
  /** Sessions since start. */
  stot: number;
  addr: string;
}

/**
 * The servers of one backend in use, from `show stat` (CSV). Unused slots of
 * the native runner (haproxy.cfg: `server-template` at 127.0.0.1:1, port 1
 * until a worker takes the slot) are left out.
 */
export async function haproxyServers(socketPath: string, backend = 'workers'): Promise<Map<string, HaproxyServer>> {
  const csv = await haproxyCommand(socketPath, 'show stat -1 4 -1');
  const [header, ...rows] = csv.split('\n').filter((l) => l.trim() !== '');
  if (!header?.startsWith('# ')) throw new Error(`unexpected answer to show stat: ${csv.slice(0, 200)}`);
  const cols = header.slice(2).split(',');
  const at = (row: string[], name: string) => row[cols.indexOf(name)] ?? '';
  const servers = new Map<string, HaproxyServer>();
  for (const line of rows) {
    const row = line.split(',');
    if (at(row, 'pxname') !== backend || at(row, 'addr').endsWith(':1')) continue;
    servers.set(at(row, 'svname'), {
      name: at(row, 'svname'),
      status: at(row, 'status'),
      scur: Number(at(row, 'scur')),
      stot: Number(at(row, 'stot')),
      addr: at(row, 'addr'),
    });
  }
  return servers;
}
