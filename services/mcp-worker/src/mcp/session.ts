import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { idSource, RpcCodes } from '@moodle-mcp/common';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import { errorResponse } from '../transport/jsonrpc.js';
import { StreamTransport } from '../transport/streamTransport.js';
import { SESSION_CLOSE_REASONS, SESSION_TRANSPORTS } from '../metrics.js';
import { callTool, type CallDeps } from './callTool.js';
import { RateLimitedError, TokenBucket, type CallRate } from './callRateLimit.js';
import { refuseInvalidParams } from './invalidParams.js';
import type { Identities, Principal, SessionIdentity } from '../identity/identities.js';
import type { TeacherCallLimiter } from '../teachers/callLimiter.js';
import type { TeacherDirectory } from '../teachers/directory.js';
import type { TeacherSessions } from '../identity/teacherSessions.js';

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
  /** Whose token each call goes with. */
  identities: Identities;
  /** tools/call per second per teacher over all sessions and workers (per-teacher mode). */
  teacherLimiter?: TeacherCallLimiter;
  /** Notes each teacher's last call (per-teacher mode). */
  directory?: TeacherDirectory;
  /** Where a teacher's open sessions are found, to close them on revocation. */
  teacherSessions?: TeacherSessions;
}

export interface Session {
  id: string;
  server: Server;
  /** The teacher the session acts as (per-teacher mode), to close their sessions on revocation. */
  teacher?: string;
  close(): Promise<void>;
}

/** An McpError-like answer the SDK sends as it is (code, message). */
class RefusedError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One MCP session: an SDK `Server` bound to one transport, serving the shared
 * tool catalog. Sessions share everything but their protocol state, so an
 * idle session costs little more than its socket.
 */
export async function openSession(deps: SessionDeps, transport: Transport, identity: SessionIdentity, onRefusedBeforeInit?: () => void): Promise<Session> {
  const id = newSessionId();
  const principal: Principal | undefined = identity.ok ? identity.principal : undefined;
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: false } },
    instructions: INSTRUCTIONS,
    jsonSchemaValidator: SHARED_VALIDATOR,
  });
  // Who this session is, asked at each request: a revoked teacher is refused at once, a changed flag applies at once.
  const who = () => {
    const r = deps.identities.resolve(principal!);
    if ('refused' in r) {
      deps.metrics.refusedMessages.inc({ reason: 'identity' });
      throw new RefusedError(RpcCodes.IDENTITY_REQUIRED, r.refused);
    }
    return r;
  };
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: who().readOnly ? deps.catalog.listedReadOnly : deps.catalog.listed }));
  const rate = deps.callRate;
  const bucket = rate && rate.perSecond > 0 ? new TokenBucket(rate, Date.now()) : undefined;
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const identity = who();
    // Over a limit: answered at once with -32029 and when to retry; the call never reaches Moodle.
    const retryAfterMs = bucket?.take(Date.now()) ?? 0;
    if (retryAfterMs > 0) {
      deps.metrics.refusedMessages.inc({ reason: 'rate_limited' });
      deps.logger.debug('tool call rate limited', { sessionId: id, tool: req.params.name, retryAfterMs });
      throw new RateLimitedError(rate!, retryAfterMs, 'session');
    }
    if (identity.teacher && deps.teacherLimiter) {
      const wait = await deps.teacherLimiter.admit(identity.teacher);
      if (wait > 0) {
        deps.metrics.refusedMessages.inc({ reason: 'rate_limited' });
        deps.logger.debug('tool call rate limited (teacher)', { sessionId: id, tool: req.params.name, retryAfterMs: wait, ...identity.log });
        throw new RateLimitedError(deps.teacherLimiter.rate, wait, 'teacher');
      }
    }
    if (identity.teacher) deps.directory?.touch(identity.teacher);
    return callTool(deps, { sessionId: id, name: req.params.name, args: req.params.arguments, signal: extra.signal, identity });
  });
  if (!identity.ok) {
    // No identity (per-teacher mode without a certificate): every request gets the same answer, nothing is served.
    const refusal = identity.message;
    if (transport instanceof StreamTransport) {
      transport.gate = (msg) => {
        if (!('method' in msg) || !('id' in msg)) return undefined;
        deps.metrics.refusedMessages.inc({ reason: 'identity' });
        return errorResponse(msg.id, RpcCodes.IDENTITY_REQUIRED, refusal);
      };
    }
  }
  if (transport instanceof StreamTransport && identity.ok) {
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
  const session: Session = { id, server, close: () => server.close() };
  if (principal?.kind === 'teacher' && deps.teacherSessions) {
    const teacher = principal.name;
    const registry = deps.teacherSessions;
    session.teacher = teacher;
    registry.add(teacher, session);
    const onclose = server.onclose;
    server.onclose = () => {
      onclose?.();
      registry.delete(teacher, session);
    };
  }
  return session;
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
