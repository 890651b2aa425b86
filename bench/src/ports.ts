/**
 * Free TCP ports on 127.0.0.1 for processes started next, taken below the
 * kernel's ephemeral range (from 32768 on Linux by default): a port the
 * kernel hands out for port 0 can be taken as the local port of an outgoing
 * connection (HAProxy's to the workers, a load generator's, thousands of
 * them) before the process it was meant for binds it (a benchmark worker
 * failed with EADDRINUSE that way; so did a native test stack). No side
 * effects on import: the native test stacks use it too.
 */
import net from 'node:net';

/** Whether `port` on 127.0.0.1 can be listened on right now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A base B such that B+1 .. B+count are free now, between 20000 and 32000. */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => canListen(base + 1 + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no block of ${count} free port${count === 1 ? '' : 's'} found between 20000 and 32000`);
}

/** One port that is free now, between 20000 and 32000. */
export async function freePort(): Promise<number> {
  return (await freePortBlock(1)) + 1;
}
