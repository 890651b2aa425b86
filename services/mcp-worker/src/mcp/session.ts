import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { idSource } from '@moodle-mcp/common';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import { errorResponse } from '../transport/jsonrpc.js';
import { StreamTransport } from '../transport/streamTransport.js';
import { SESSION_CLOSE_REASONS, SESSION_TRANSPORTS } from '../metrics.js';
import { callTool, type CallDeps } from './callTool.js';
import { RateLimitedError, TokenBucket, type CallRate } from './callRateLimit.js';
import { refuseInvalidParams } from './invalidParams.js';

export const SERVER_INFO = { name: 'moodle-mcp-worker', version: '0.1.0' };

const INSTRUCTIONS =
  "Tools for a teacher's Moodle: courses, enrolled students, assignments and submissions, " +
  'grading with feedback, quizzes and attempts, gradebook, upcoming deadlines and forums. ' +
  'Start with get_courses (or search_courses) to find course ids; most tools take courseId.';

/**
 * One JSON Schema validator for every session. The SDK's Server builds its
 * own (a new Ajv instance, compiled formats and all) unless given one: about
 * a fifth of the CPU of opening a session, and 18 KB of memory per session.
 * It validates only what a server asks a client for (elicitation), and
 * caches by schema, so sharing it is safe.
 */
const SHARED_VALIDATOR = new AjvJsonSchemaValidator();

/** Session ids, for logs: unique, not secret. */
const newSessionId = idSource();

/** Methods a client may send before the initialize handshake. */
const ALLOWED_BEFORE_INIT = new Set(['initialize', 'ping']);

/** What a session needs: the tool-call boundary's dependencies and the per-session limits. */
export interface SessionDeps extends CallDeps {
  /** tools/call per second per session (SESSION_CALL_RATE, SESSION_CALL_BURST); absent: no limit. */
  callRate?: CallRate;
}

export interface Session {
  id: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * One MCP session: an SDK `Server` bound to one transport, serving the shared
 * tool catalog. Sessions share everything but their protocol state, so an
 * idle session costs little more than its socket.
 */
export async function openSession(deps: SessionDeps, transport: Transport, onRefusedBeforeInit?: () => void): Promise<Session> {
  const id = newSessionId();
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: false } },
    instructions: INSTRUCTIONS,
    jsonSchemaValidator: SHARED_VALIDATOR,
  });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: deps.catalog.listed }));
  const rate = deps.callRate;
  const bucket = rate && rate.perSecond > 0 ? new TokenBucket(rate, Date.now()) : undefined;
  server.setRequestHandler(CallToolRequestSchema, (req, extra) => {
    // Over the limit: answered at once with -32029 and when to retry; the call never reaches Moodle.
    const retryAfterMs = bucket?.take(Date.now()) ?? 0;
    if (retryAfterMs > 0) {
      deps.metrics.refusedMessages.inc({ reason: 'rate_limited' });
      deps.logger.debug('tool call rate limited', { sessionId: id, tool: req.params.name, retryAfterMs });
      throw new RateLimitedError(rate!, retryAfterMs);
    }
    return callTool(deps, { sessionId: id, name: req.params.name, args: req.params.arguments, signal: extra.signal });
  });
  if (transport instanceof StreamTransport) {
    // "Initialized" from the moment initialize arrives, not when its answer is sent:
    // a client may pipeline initialize and its first requests in one write.
    let initializeSeen = false;
    transport.gate = (msg) => {
      if (!('method' in msg) || !('id' in msg)) return undefined;
      if (msg.method === 'initialize') initializeSeen = true;
      if (initializeSeen || ALLOWED_BEFORE_INIT.has(msg.method)) return undefined;
      onRefusedBeforeInit?.();
      return errorResponse(msg.id, ErrorCode.InvalidRequest, `Session not initialized: send "initialize" before "${msg.method}"`);
    };
  }
  await server.connect(transport);
  refuseInvalidParams(transport);
  return { id, server, close: () => server.close() };
}

export type SessionTransportKind = (typeof SESSION_TRANSPORTS)[number];
export type SessionCloseReason = (typeof SESSION_CLOSE_REASONS)[number];

/**
 * Counts an open session in the metrics and logs it from open to close, for
 * every network transport alike. `closedBy` is asked once, when the SDK
 * server closes; `onClosed` then runs once (e.g. to forget the session).
 */
export function watchSession(
  session: Session,
  deps: Pick<CallDeps, 'metrics' | 'logger'>,
  transport: SessionTransportKind,
  details: Record<string, unknown>,
  closedBy: () => SessionCloseReason,
  onClosed: () => void,
): void {
  const { metrics, logger } = deps;
  metrics.sessionsOpen.inc({ transport });
  metrics.sessionsOpened.inc({ transport });
  // Checked first: winston builds and formats a debug line even when it drops it, on every session.
  const debug = logger.isDebugEnabled();
  if (debug) logger.debug('session opened', { sessionId: session.id, transport, ...details });
  let closed = false;
  const origClose = session.server.onclose;
  session.server.onclose = () => {
    origClose?.();
    if (closed) return;
    closed = true;
    const reason = closedBy();
    onClosed();
    metrics.sessionsOpen.dec({ transport });
    metrics.sessionsClosed.inc({ transport, reason });
    if (debug) logger.debug('session closed', { sessionId: session.id, transport, reason });
  };
}
