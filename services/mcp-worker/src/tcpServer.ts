import net from 'node:net';
import type { Logger } from '@moodle-mcp/common';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { CallDeps } from './mcp/callTool.js';
import type { InflightCalls } from './mcp/inflight.js';
import { openSession, watchSession, type Session } from './mcp/session.js';
import { errorResponse } from './transport/jsonrpc.js';
import { StreamTransport } from './transport/streamTransport.js';

export interface TcpServerOptions {
  host: string;
  port: number;
  /** Limit on the worker's open sessions, counted by `sessionsOpen`. */
  maxSessions: number;
  /** All the worker's open sessions (TCP and HTTP share MAX_SESSIONS); default: this server's. */
  sessionsOpen?: () => number;
  maxLineBytes: number;
  maxPendingWriteBytes: number;
}

/**
 * The network mode: each TCP connection is one MCP session inside this
 * process (never a child process). Connections beyond `maxSessions`, or
 * arriving while draining, get one JSON-RPC error line and are closed.
 */
export class TcpServer {
  private readonly server: net.Server;
  private readonly sessions = new Set<Session>();
  private draining = false;

  constructor(
    private readonly deps: CallDeps & { inflight: InflightCalls },
    private readonly opts: TcpServerOptions,
    private readonly logger: Logger,
  ) {
    // allowHalfOpen: a client that sends EOF after its last request (`echo … | ncat`) still gets its answers.
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, (socket) => {
      void this.accept(socket);
    });
    this.server.on('error', (err) => this.logger.error('TCP server error', { error: err.message }));
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  listen(): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.opts.host, port: this.opts.port, backlog: 4096 }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }

  /** Stops accepting at once; open sessions continue until closeAll(). */
  stopAccepting(): void {
    if (this.draining) return;
    this.draining = true;
    // Resolves only once every connection has ended, i.e. after closeAll().
    this.listenerClosed = new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Closes every session and waits for the listener to be fully closed. */
  async closeAll(): Promise<void> {
    this.stopAccepting();
    await Promise.allSettled([...this.sessions].map((s) => s.close()));
    await this.listenerClosed;
  }

  private listenerClosed?: Promise<void>;

  private async accept(socket: net.Socket): Promise<void> {
    const { metrics } = this.deps;
    socket.on('error', () => undefined); // a reset before the transport attaches is not a crash
    if (this.draining || (this.opts.sessionsOpen?.() ?? this.sessions.size) >= this.opts.maxSessions) {
      metrics.refusedMessages.inc({ reason: 'too_many_sessions' });
      const why = this.draining
        ? 'this worker is shutting down; reconnect'
        : `this worker is at its limit of ${this.opts.maxSessions} sessions; try again later`;
      socket.end(JSON.stringify(errorResponse(null, ErrorCode.InternalError, `Connection refused: ${why}`)) + '\n');
      return;
    }
    const transport = new StreamTransport(socket, socket, {
      maxLineBytes: this.opts.maxLineBytes,
      maxPendingWriteBytes: this.opts.maxPendingWriteBytes,
      inflight: this.deps.inflight,
      onRefused: (reason) => metrics.refusedMessages.inc({ reason }),
    });
    let closedBy: 'client' | 'server' | 'error' = 'client';
    transport.onerror = (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ECONNRESET' && code !== 'EPIPE') closedBy = 'error';
    };
    const session = await openSession(this.deps, transport, () => metrics.refusedMessages.inc({ reason: 'not_initialized' }));
    this.sessions.add(session);
    watchSession(
      session,
      { metrics, logger: this.logger },
      'tcp',
      { remote: `${socket.remoteAddress}:${socket.remotePort}` },
      () => (this.draining ? 'server' : closedBy),
      () => this.sessions.delete(session),
    );
    // The peer may have gone while the session was being set up, before the transport listened.
    if (socket.destroyed) void session.close();
  }
}
