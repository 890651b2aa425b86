import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { SessionRequests } from '../mcp/inflight.js';

export interface HttpSessionTransportOptions {
  /** Largest accepted POST body in bytes; a larger one is answered 413 by the SDK. */
  maxBodyBytes: number;
  /** Called once, while the initialize request is handled, with the new Mcp-Session-Id. */
  onInitialized: (sessionId: string) => void;
  /** Told of each request received (begin) and answered, cancelled or abandoned (end). */
  inflight?: { begin(): void; end(n?: number): void };
}

/**
 * One stateful MCP session over Streamable HTTP: the SDK's
 * StreamableHTTPServerTransport (which checks Accept, Content-Type, the
 * session and protocol-version headers, and answers on SSE streams), plus the
 * in-flight bookkeeping the TCP transport does, so shutdown waits for HTTP
 * calls too.
 *
 * Contract: as the SDK's Transport. `onclose` fires once, on `close()`, on
 * DELETE /mcp, or when the session is expired; afterwards every request to it
 * is answered 404.
 */
export class HttpSessionTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  private readonly inner: StreamableHTTPServerTransport;
  private readonly requests: SessionRequests;

  constructor(opts: HttpSessionTransportOptions) {
    this.requests = new SessionRequests(opts.inflight);
    this.inner = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: opts.onInitialized,
      maxRequestBodySize: opts.maxBodyBytes,
    });
    this.inner.onmessage = (message, extra) => {
      this.requests.received(message);
      this.onmessage?.(message, extra);
    };
    this.inner.onclose = () => {
      this.requests.abandon();
      this.onclose?.();
    };
    this.inner.onerror = (error) => this.onerror?.(error);
  }

  /** The Mcp-Session-Id, once initialize has been handled. */
  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    try {
      await this.inner.send(message, options);
    } finally {
      // Answered, or never deliverable (the client dropped the stream): either way no longer in flight.
      this.requests.sent(message);
    }
  }

  /** Serves one POST, GET or DELETE /mcp of this session; `parsedBody` when the caller has read the body already. */
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse, parsedBody?: unknown): Promise<void> {
    return this.inner.handleRequest(req, res, parsedBody);
  }
}
