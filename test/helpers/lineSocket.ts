import net from 'node:net';
import { waitFor } from './wait.js';

/** A line the server sent that is not JSON, kept (not thrown) so a test can report it. */
export interface NotJson {
  notJson: string;
}

function parseAnswer(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return { notJson: line.slice(0, 200) } satisfies NotJson;
  }
}

/**
 * A raw TCP client for protocol tests: writes bytes or lines exactly as given
 * and collects the newline-delimited JSON answers (a line that is not JSON is
 * collected as `{ notJson }`).
 */
export class LineSocket {
  readonly received: unknown[] = [];
  closed = false;
  private buffer = '';

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        if (line.trim()) this.received.push(parseAnswer(line));
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  /** `localAddress`: the source address (any of 127/8 on loopback), e.g. to stay under per-address limits. */
  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<LineSocket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host, localAddress }, () => resolve(new LineSocket(s)));
      s.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  send(message: unknown): void {
    this.socket.write(JSON.stringify(message) + '\n');
  }

  /** Waits for the answer with this id (a response or error object). */
  async response(id: string | number | null, timeoutMs = 10_000): Promise<Record<string, any>> {
    return waitFor(
      `answer with id ${JSON.stringify(id)}`,
      () => this.received.find((m) => (m as { id?: unknown }).id === id) as Record<string, any> | undefined,
      { timeoutMs },
    );
  }

  /** Waits until `n` messages have arrived. */
  async count(n: number, timeoutMs = 10_000): Promise<unknown[]> {
    await waitFor(`${n} messages`, () => this.received.length >= n, { timeoutMs });
    return this.received;
  }

  async initialize(id: string | number = 'init'): Promise<Record<string, any>> {
    this.send({
      jsonrpc: '2.0',
      id,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    const r = await this.response(id);
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return r;
  }

  waitClosed(timeoutMs = 10_000): Promise<boolean> {
    return waitFor('the connection to close', () => this.closed, { timeoutMs });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The LineSockets a test file opens, closed together (in afterEach or afterAll). */
export class LineSockets {
  private readonly opened: LineSocket[] = [];

  async open(port: number): Promise<LineSocket> {
    const s = await LineSocket.connect(port);
    this.opened.push(s);
    return s;
  }

  closeAll(): void {
    this.opened.splice(0).forEach((s) => s.close());
  }
}
