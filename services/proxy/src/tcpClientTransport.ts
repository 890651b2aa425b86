import net from 'node:net';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * An MCP client transport over one TCP connection carrying newline-delimited
 * JSON-RPC — what `ncat HOST PORT` gives a client — so the SDK's own `Client`
 * speaks to a worker exactly as a teacher's client does. Framing is the SDK's
 * (`ReadBuffer`, `serializeMessage`).
 *
 * Contract: `start()` connects (rejects if the connection fails or takes
 * longer than `connectTimeoutMs`); `onclose` fires once, when the socket
 * closes for any reason; a line that is not JSON-RPC fires `onerror` and the
 * stream goes on.
 */
export class TcpClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private socket?: net.Socket;
  private readonly buffer = new ReadBuffer();
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly connectTimeoutMs = 3_000,
    /** Bytes written first, before any message (a PROXY protocol header). */
    private readonly preamble?: Buffer,
  ) {}

  start(): Promise<void> {
    if (this.socket) throw new Error('TcpClientTransport already started');
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      this.socket = socket;
      socket.setNoDelay(true);
      const timer = setTimeout(() => socket.destroy(new Error(`connect to ${this.host}:${this.port} timed out after ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        if (this.preamble) socket.write(this.preamble);
        resolve();
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
        this.onerror?.(err);
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          this.buffer.append(chunk);
        } catch (err) {
          socket.destroy(err as Error); // an answer larger than the SDK's buffer limit
          return;
        }
        for (;;) {
          let message: JSONRPCMessage | null;
          try {
            message = this.buffer.readMessage();
          } catch (err) {
            this.onerror?.(err as Error);
            continue;
          }
          if (!message) break;
          this.onmessage?.(message);
        }
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (this.closed) return;
        this.closed = true;
        this.buffer.clear();
        this.onclose?.();
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      socket.write(serializeMessage(message), (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    this.socket?.destroy();
  }
}
