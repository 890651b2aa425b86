/**
 * A TCP relay on 127.0.0.1 in front of a real server, for tests that need the
 * network between two parts to fail: `cut()` drops every relayed connection
 * and closes new ones at once (a partition); `hang()` accepts new connections
 * and never passes them on (a frozen or CPU-starved server: the peer's
 * requests time out); `close()` stops listening (connections are refused, as
 * when the server's process is gone) and `reopen()` listens on the same port
 * again. `pass()` goes back to relaying.
 */
import net, { type AddressInfo } from 'node:net';

type Mode = 'pass' | 'cut' | 'hang';

export class TcpRelay {
  private mode: Mode = 'pass';
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly target: { host: string; port: number },
    private listenPort: number,
  ) {}

  /** A relay to `target` on a free port. */
  static async start(target: { host: string; port: number }): Promise<TcpRelay> {
    const relay = new TcpRelay(target, 0);
    await relay.reopen();
    return relay;
  }

  /** The relay's own port: connect here to go through it. */
  get port(): number {
    return this.listenPort;
  }

  pass(): void {
    this.mode = 'pass';
  }

  cut(): void {
    this.mode = 'cut';
    this.dropAll();
  }

  /** New connections are held unanswered; the ones already relayed go on. */
  hang(): void {
    this.mode = 'hang';
  }

  async close(): Promise<void> {
    this.dropAll();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again, on the port it had (a free one the first time). */
  async reopen(): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.listenPort = (server.address() as AddressInfo).port;
  }

  private accept(client: net.Socket): void {
    this.track(client);
    if (this.mode === 'cut') return void client.destroy();
    if (this.mode === 'hang') return;
    const upstream = net.connect(this.target.port, this.target.host);
    this.track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  private dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }
}
