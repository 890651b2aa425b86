import net from 'node:net';
import type { Logger, ProxyHeader } from '@moodle-mcp/common';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { openSession, watchSession, type Session, type SessionDeps } from './mcp/session.js';
import { errorResponse } from './transport/jsonrpc.js';
import { readProxyHeader } from './transport/proxyHeaderReader.js';
import { StreamTransport, type StreamTransportOptions } from './transport/streamTransport.js';

export interface TcpServerOptions {
  host: string;
  port: number;
  /** Limit on the worker's open sessions, counted by `sessionsOpen`. */
  maxSessions: number;
  /** All the worker's open sessions (TCP and HTTP share MAX_SESSIONS); default: this server's. */
  sessionsOpen?: () => number;
  /** Limits and hooks of each session's transport (the same as the stdio session's). */
  stream: StreamTransportOptions;
  /** PROXY protocol v2 header before the first line (PROXY_PROTOCOL); default off. */
  proxyProtocol?: 'off' | 'optional' | 'required';
}

/** How long a connection may take to send its whole PROXY header (HAProxy sends it on connect), ms. */
const PROXY_HEADER_TIMEOUT_MS = 10_000;

/**
 * Who is at the other end, as every log line of the session says it: the
 * client's own address (from the PROXY header; else the socket's peer) and,
 * when it came over TLS with a verified certificate, the certificate's CN.
 */
export interface ClientIdentity {
  clientAddress: string;
  clientPort?: number;
  /** TLS version, when the client connected to HAProxy over TLS. */
  tls?: string;
  clientCn?: string;
}

/**
 * The network mode: each TCP connection is one MCP session inside this
 * process (never a child process). Connections beyond `maxSessions`, or
 * arriving while draining, get one JSON-RPC error line and are closed.
 */
export class TcpServer {
  private readonly server: net.Server;
  private readonly sessions = new Set<Session>();
  private readonly transports = new Set<StreamTransport>();
  /** Connections still sending their PROXY header (not sessions yet). */
  private readonly pending = new Set<net.Socket>();
  private draining = false;

  constructor(
    private readonly deps: SessionDeps,
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

  /** Every open session finishes what it is doing, refuses new requests (NOT_PROCESSED) and closes when idle. */
  drainSessions(): void {
    for (const t of this.transports) t.drain();
  }

  /** Resolves true once every session has closed by itself, or false after `timeoutMs`. */
  sessionsClosed(timeoutMs: number): Promise<boolean> {
    if (this.sessions.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onEmpty = undefined;
        resolve(false);
      }, timeoutMs);
      this.onEmpty = () => {
        clearTimeout(timer);
        this.onEmpty = undefined;
        resolve(true);
      };
    });
  }
  private onEmpty?: () => void;

  /** Closes every session and waits for the listener to be fully closed. */
  async closeAll(): Promise<void> {
    this.stopAccepting();
    for (const socket of this.pending) socket.destroy();
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
    const client = await this.identify(socket);
    if (!client) return;
    // Every line this session logs (each tool call, the audit of each write) says who it is.
    const logger = this.logger.child(client);
    const transport = new StreamTransport(socket, socket, this.opts.stream);
    let closedBy: 'client' | 'server' | 'error' = 'client';
    transport.onerror = (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ECONNRESET' && code !== 'EPIPE') closedBy = 'error';
    };
    const identity = this.deps.identities.forConnection(client.clientCn);
    if (!identity.ok) logger.info('session without a teacher identity: every request is refused', { identityMode: this.deps.identities.mode });
    const session = await openSession({ ...this.deps, logger }, transport, identity, () => metrics.refusedMessages.inc({ reason: 'not_initialized' }));
    this.sessions.add(session);
    this.transports.add(transport);
    if (this.draining) transport.drain();
    watchSession(
      session,
      { metrics, logger },
      'tcp',
      { remote: `${socket.remoteAddress}:${socket.remotePort}` },
      () => (this.draining ? 'server' : closedBy),
      () => {
        this.sessions.delete(session);
        this.transports.delete(transport);
        if (this.sessions.size === 0) this.onEmpty?.();
      },
    );
    // The peer may have gone while the session was being set up, before the transport listened.
    if (socket.destroyed) void session.close();
    // Paused by the PROXY header reader, with what followed the header put back.
    else socket.resume();
  }

  /**
   * The client's identity: the socket's peer, or with PROXY_PROTOCOL what the
   * header says. A header that is missing (when required) or malformed gets one
   * JSON-RPC error line and the connection is closed: undefined.
   */
  private async identify(socket: net.Socket): Promise<ClientIdentity | undefined> {
    const peer: ClientIdentity = { clientAddress: socket.remoteAddress ?? 'unknown', clientPort: socket.remotePort };
    const mode = this.opts.proxyProtocol ?? 'off';
    if (mode === 'off') return peer;
    this.pending.add(socket);
    const outcome = await readProxyHeader(socket, mode, PROXY_HEADER_TIMEOUT_MS);
    this.pending.delete(socket);
    if (outcome.ok) return identityFrom(outcome.header, peer);
    if (outcome.peerGone || socket.destroyed) {
      socket.destroy();
      return undefined;
    }
    this.deps.metrics.refusedMessages.inc({ reason: 'proxy_header' });
    this.logger.warn('connection refused: PROXY protocol header', { remote: `${peer.clientAddress}:${peer.clientPort}`, proxyProtocol: mode, reason: outcome.reason });
    socket.end(JSON.stringify(errorResponse(null, ErrorCode.InvalidRequest, `Connection refused: ${outcome.reason}`)) + '\n');
    return undefined;
  }
}

/** LOCAL (the proxy's own check) and address-less headers keep the socket's peer; a CN counts only when verified. */
function identityFrom(header: ProxyHeader | undefined, peer: ClientIdentity): ClientIdentity {
  if (!header || header.command === 'local') return peer;
  const id: ClientIdentity = header.source ? { clientAddress: header.source.address, clientPort: header.source.port } : peer;
  if (header.tls) {
    id.tls = header.tls.version ?? 'TLS';
    if (header.tls.verified && header.tls.cn) id.clientCn = header.tls.cn;
  }
  return id;
}
