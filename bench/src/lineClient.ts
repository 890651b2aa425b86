import net from 'node:net';
import { LineSplitter } from './lines.js';

/** A JSON-RPC answer as the load generator sees it. */
export interface Answer {
  id?: number;
  result?: { isError?: boolean; content?: { text?: string }[]; [k: string]: unknown };
  error?: { code: number; message: string };
}

/**
 * A minimal newline-delimited JSON-RPC client for load generation: one TCP
 * connection, requests matched to answers by id, any number outstanding
 * (pipelining). Lighter than the SDK client on purpose, so the load generator
 * measures the server, not itself.
 */
export class LineClient {
  private readonly lines = new LineSplitter();
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: Answer) => void; reject: (e: Error) => void }>();
  closed = false;
  /** Bytes of the last answer line, newline included. */
  lastAnswerBytes = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.ondata(chunk));
    socket.on('close', () => this.fail(new Error('connection closed')));
    socket.on('error', () => undefined);
  }

  static connect(host: string, port: number, timeoutMs = 10_000): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error('connect timeout'));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(new LineClient(s));
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  request(method: string, params?: unknown, timeoutMs = 30_000): Promise<Answer> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('connection closed'));
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('no answer within the time limit'));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }

  notify(method: string, params?: unknown): void {
    this.socket.write(JSON.stringify({ jsonrpc: '2.0', method, params }) + '\n');
  }

  async initialize(timeoutMs = 30_000): Promise<void> {
    const r = await this.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } }, timeoutMs);
    if (r.error) throw new Error(`initialize failed: ${r.error.message}`);
    this.notify('notifications/initialized');
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(err: Error): void {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private ondata(chunk: string): void {
    for (const line of this.lines.push(chunk)) {
      let msg: Answer;
      try {
        msg = JSON.parse(line) as Answer;
      } catch {
        // A server that sends something else than JSON lines is broken: fail what waits, and stop.
        this.fail(new Error('answer is not a JSON line'));
        this.socket.destroy();
        return;
      }
      this.lastAnswerBytes = Buffer.byteLength(line) + 1;
      const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
      if (p) {
        this.pending.delete(msg.id!);
        p.resolve(msg);
      }
    }
  }
}
