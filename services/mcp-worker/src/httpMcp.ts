import type http from 'node:http';
import { RpcCodes, type Logger } from '@moodle-mcp/common';
import { ErrorCode, isInitializeRequest, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { sendJson } from './httpServer.js';

import type { InflightCalls } from './mcp/inflight.js';
import { openSession, watchSession, type Session, type SessionCloseReason, type SessionDeps } from './mcp/session.js';
import type { REFUSAL_REASONS } from './metrics.js';
import { HttpSessionTransport } from './transport/httpSessionTransport.js';
import { errorResponse, parseLine, type FramingErrorResponse } from './transport/jsonrpc.js';

export interface HttpMcpOptions {
  /** Limit on the worker's open sessions, counted by `sessionsOpen` (TCP and HTTP share MAX_SESSIONS). */
  maxSessions: number;
  sessionsOpen: () => number;
  /** Largest accepted POST body, bytes (MAX_LINE_BYTES, the TCP line limit). */
  maxBodyBytes: number;
  /** A session with no request in progress for this long is closed, ms. */
  idleTimeoutMs: number;
}

/** JSON-RPC code the SDK uses for "Session not found"; kept so clients see one code for it. */
const SESSION_NOT_FOUND = -32001;
/** JSON-RPC "server error" code the SDK uses for HTTP-level refusals (400/406/415/503). */
const HTTP_REFUSAL = -32000;

interface Entry {
  session: Session;
  transport: HttpSessionTransport;
  /** HTTP requests of this session still open (an SSE stream counts until it ends). */
  active: number;
  idleTimer?: NodeJS.Timeout;
  closedBy: SessionCloseReason;
}

/**
 * MCP over Streamable HTTP at /mcp, stateful: initialize (a POST without
 * Mcp-Session-Id) creates a session with a server-issued id; later requests
 * carry that id and go to the same SDK server, built by the same factory as a
 * TCP session (same tools, ALLOW_WRITES, logs, metrics, in-flight tracking).
 *
 * Answers of its own (everything else is the SDK transport's):
 * - 400 for a POST without a session id that is not initialize, or a GET or
 *   DELETE without one; 400 -32700 (not JSON) or -32600 (not JSON-RPC) for
 *   the body of such a POST (with a session id the SDK checks the body);
 * - 404 -32001 for an unknown, closed or expired session id;
 * - 405 for other methods; 413 for a body over `maxBodyBytes`;
 * - 503 for initialize while the worker drains or is at `maxSessions`.
 */
export class HttpMcpSessions {
  private readonly sessions = new Map<string, Entry>();
  private draining = false;

  constructor(
    private readonly deps: SessionDeps & { inflight: InflightCalls },
    private readonly opts: HttpMcpOptions,
    private readonly logger: Logger,
  ) {}

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Serves one request to /mcp; never throws for anything a client sends. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? '';
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      return this.refuse(res, 405, errorResponse(null, HTTP_REFUSAL, `Method not allowed: ${method} /mcp; use POST, GET or DELETE`), undefined, {
        Allow: 'GET, POST, DELETE',
      });
    }
    const sessionId = req.headers['mcp-session-id'];
    if (!sessionId) {
      if (method === 'POST') return this.open(req, res);
      const why = `Bad Request: ${method} /mcp needs the Mcp-Session-Id header that the initialize response carried`;
      return this.refuse(res, 400, errorResponse(null, HTTP_REFUSAL, why), 'invalid_request');
    }
    const entry = typeof sessionId === 'string' ? this.sessions.get(sessionId) : undefined;
    if (!entry) {
      const why = 'Session not found: the Mcp-Session-Id is unknown, closed or expired; start a new session with initialize (without the header)';
      return this.refuse(res, 404, errorResponse(null, SESSION_NOT_FOUND, why), 'unknown_session');
    }
    await this.serve(entry, req, res);
  }

  /** Refuses new sessions from now on; open ones keep being served until closeAll(). */
  stopAccepting(): void {
    this.draining = true;
  }

  /** Closes every session: their SSE streams end and later requests get 404. */
  async closeAll(): Promise<void> {
    this.draining = true;
    await Promise.allSettled([...this.sessions.values()].map((e) => e.session.close()));
  }

  /** A POST without a session id: it must be initialize, and there must be room for one more session. */
  private async open(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req, this.opts.maxBodyBytes);
    if (body.kind === 'aborted') return void res.destroy();
    if (body.kind === 'too_large') {
      const why = `Payload Too Large: a message must not exceed ${this.opts.maxBodyBytes} bytes`;
      // Connection: close, so the rest of an oversized body is not read.
      return this.refuse(res, 413, errorResponse(null, HTTP_REFUSAL, why), 'body_too_large', { Connection: 'close' });
    }
    const parsed = parseLine(body.text);
    if (!parsed.ok) return this.refuse(res, 400, parsed.response, parsed.response.error.code === ErrorCode.ParseError ? 'parse_error' : 'invalid_request');
    const message = parsed.message;
    if (!isJSONRPCRequest(message) || !isInitializeRequest(message)) {
      const what = 'method' in message ? `"${message.method}"` : 'a response';
      const why =
        `Bad Request: a POST without the Mcp-Session-Id header must be an initialize request, not ${what}; ` +
        'initialize first, then send the Mcp-Session-Id header it answers with';
      return this.refuse(res, 400, errorResponse(isJSONRPCRequest(message) ? message.id : null, HTTP_REFUSAL, why), 'not_initialized');
    }
    if (this.draining || this.opts.sessionsOpen() >= this.opts.maxSessions) {
      const why = this.draining
        ? 'Service Unavailable: this worker is shutting down; start the session again'
        : `Service Unavailable: this worker is at its limit of ${this.opts.maxSessions} sessions; try again later`;
      return this.refuse(res, 503, errorResponse(message.id, HTTP_REFUSAL, why), 'too_many_sessions', { 'Retry-After': '1' });
    }

    let entry: Entry | undefined;
    const transport = new HttpSessionTransport({
      maxBodyBytes: this.opts.maxBodyBytes,
      inflight: this.deps.inflight,
      onInitialized: (sessionId) => {
        const e = entry!;
        this.sessions.set(sessionId, e);
        watchSession(
          e.session,
          this.deps,
          'http',
          { remote: `${req.socket.remoteAddress}:${req.socket.remotePort}` },
          () => (this.draining ? 'server' : e.closedBy),
          () => {
            clearTimeout(e.idleTimer);
            this.sessions.delete(sessionId);
          },
        );
      },
    });
    // No client certificate reaches this port: per-teacher mode needs OAuth here (a later step), or the demo's teacher.
    const identity = this.deps.identities.forConnection(undefined);
    if (!identity.ok) return this.refuse(res, 401, errorResponse(message.id, RpcCodes.IDENTITY_REQUIRED, `Unauthorized: ${identity.message}`), 'identity');
    const session = await openSession(this.deps, transport, identity);
    entry = { session, transport, active: 0, closedBy: 'client' };
    try {
      await this.serve(entry, req, res, message);
    } finally {
      // Refused by the SDK before a session id was issued (Accept or Content-Type wrong): nothing to keep.
      if (transport.sessionId === undefined) this.close(entry);
    }
  }

  /** Hands a request to its session's transport; the idle clock runs only while none is open. */
  private async serve(entry: Entry, req: http.IncomingMessage, res: http.ServerResponse, parsedBody?: unknown): Promise<void> {
    entry.active++;
    clearTimeout(entry.idleTimer);
    res.once('close', () => {
      entry.active--;
      const id = entry.transport.sessionId;
      if (entry.active > 0 || id === undefined || this.sessions.get(id) !== entry) return;
      clearTimeout(entry.idleTimer);
      entry.idleTimer = setTimeout(() => {
        entry.closedBy = 'idle';
        this.logger.info('closing idle HTTP MCP session', { sessionId: entry.session.id, idleMs: this.opts.idleTimeoutMs });
        this.close(entry);
      }, this.opts.idleTimeoutMs);
      entry.idleTimer.unref();
    });
    await entry.transport.handleRequest(req, res, parsedBody);
  }

  /** Closes a session from our side; a failure to close is logged, never thrown out of a timer. */
  private close(entry: Entry): void {
    entry.session.close().catch((err: unknown) => {
      this.logger.warn('closing an HTTP MCP session failed', { sessionId: entry.session.id, error: err instanceof Error ? err.message : String(err) });
    });
  }

  private refuse(
    res: http.ServerResponse,
    status: number,
    body: FramingErrorResponse,
    reason: (typeof REFUSAL_REASONS)[number] | undefined,
    headers: Record<string, string> = {},
  ): void {
    if (reason) this.deps.metrics.refusedMessages.inc({ reason });
    sendJson(res, status, body, headers);
  }
}

type Body = { kind: 'ok'; text: string } | { kind: 'too_large' } | { kind: 'aborted' };

/**
 * The request body as text; `too_large` past `maxBytes` (checked against
 * Content-Length first, then while reading); `aborted` when the client goes
 * away before the body is complete.
 */
function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Body> {
  if (Number(req.headers['content-length']) > maxBytes) return Promise.resolve({ kind: 'too_large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const ondata = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      req.off('data', ondata);
      resolve({ kind: 'too_large' });
    };
    req.on('data', ondata);
    req.once('end', () => resolve({ kind: 'ok', text: Buffer.concat(chunks).toString('utf8') }));
    // First settle wins: after 'end', a later 'close' changes nothing.
    req.once('error', () => resolve({ kind: 'aborted' }));
    req.once('close', () => resolve({ kind: 'aborted' }));
  });
}
