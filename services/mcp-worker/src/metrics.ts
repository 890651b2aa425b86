import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createRegistry } from '@moodle-mcp/common';

/**
 * The worker's metrics, all prefixed `mcp_`. Labels come from bounded sets:
 * tool names, Moodle function names, fixed outcome words — never a session id,
 * user or cache key.
 */
export interface WorkerMetrics {
  registry: Registry;
  sessionsOpen: Gauge<'transport'>;
  sessionsOpened: Counter<'transport'>;
  sessionsClosed: Counter<'transport' | 'reason'>;
  toolCalls: Counter<'tool' | 'outcome'>;
  toolDuration: Histogram<'tool'>;
  moodleRequests: Counter<'function' | 'outcome'>;
  moodleDuration: Histogram<'function'>;
  refusedMessages: Counter<'reason'>;
  moodleUp: Gauge;
  ready: Gauge;
  requestsInFlight: Gauge;
  sessionsInputPaused: Gauge;
}

/** Read at every scrape: what the worker's own state says right now. */
export interface WorkerState {
  /** What GET /ready would answer: true for 200. */
  ready(): boolean;
  /** Requests received and not yet answered, all sessions together. */
  requestsInFlight(): number;
}

/** Buckets that resolve sub-millisecond cache hits and multi-second Moodle calls. */
const TOOL_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const MOODLE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const TOOL_OUTCOMES = ['ok', 'ok_stale', 'invalid_arguments', 'refused', 'moodle_error', 'cancelled', 'internal_error'] as const;
export const REFUSAL_REASONS = [
  'parse_error',
  'invalid_request',
  'invalid_utf8',
  'line_too_long',
  'write_backlog',
  'not_initialized',
  'too_many_sessions',
  'unknown_session',
  'body_too_large',
  'rate_limited',
  'proxy_header',
  'identity',
] as const;
/** Network transports a session can arrive on (stdio mode serves no metrics). */
export const SESSION_TRANSPORTS = ['tcp', 'http'] as const;
/** Who ended a session: the client, the server (shutdown), the idle timeout (HTTP), or a connection error. */
export const SESSION_CLOSE_REASONS = ['client', 'server', 'idle', 'error'] as const;
export const MOODLE_OUTCOMES = ['ok', 'moodle_error', 'http_error', 'bad_response', 'timeout', 'unreachable', 'aborted'] as const;

export function createWorkerMetrics(opts: { version: string; workerId: string; tools: string[]; wsfunctions: string[]; state: WorkerState }): WorkerMetrics {
  const { state } = opts;
  const registry = createRegistry('mcp_', opts.version, { worker: opts.workerId });
  const registers = [registry];
  const m: WorkerMetrics = {
    registry,
    sessionsOpen: new Gauge({
      name: 'mcp_sessions_open',
      help: 'MCP sessions currently open on this worker, by transport.',
      labelNames: ['transport'],
      registers,
    }),
    sessionsOpened: new Counter({
      name: 'mcp_sessions_opened_total',
      help: 'MCP sessions opened since start, by transport.',
      labelNames: ['transport'],
      registers,
    }),
    sessionsClosed: new Counter({
      name: 'mcp_sessions_closed_total',
      help: 'MCP sessions closed since start, by transport and reason.',
      labelNames: ['transport', 'reason'],
      registers,
    }),
    toolCalls: new Counter({ name: 'mcp_tool_calls_total', help: 'Tool calls by tool and outcome.', labelNames: ['tool', 'outcome'], registers }),
    toolDuration: new Histogram({
      name: 'mcp_tool_call_duration_seconds',
      help: 'Tool call duration, from request to answer.',
      labelNames: ['tool'],
      buckets: TOOL_BUCKETS,
      registers,
    }),
    moodleRequests: new Counter({
      name: 'mcp_moodle_requests_total',
      help: 'HTTP requests to Moodle by web service function and outcome.',
      labelNames: ['function', 'outcome'],
      registers,
    }),
    moodleDuration: new Histogram({
      name: 'mcp_moodle_request_duration_seconds',
      help: 'Duration of HTTP requests to Moodle.',
      labelNames: ['function'],
      buckets: MOODLE_BUCKETS,
      registers,
    }),
    refusedMessages: new Counter({
      name: 'mcp_refused_messages_total',
      help: 'Client input refused before reaching a tool, by reason.',
      labelNames: ['reason'],
      registers,
    }),
    moodleUp: new Gauge({ name: 'mcp_moodle_up', help: '1 when the last Moodle readiness probe succeeded, else 0.', registers }),
    ready: new Gauge({
      name: 'mcp_ready',
      help: '1 while GET /ready answers 200 (Moodle or the shared cache can answer, and not draining), else 0.',
      registers,
      collect() {
        this.set(state.ready() ? 1 : 0);
      },
    }),
    sessionsInputPaused: new Gauge({
      name: 'mcp_sessions_input_paused',
      help: 'TCP/stdio sessions whose input the worker is not reading for now: SESSION_MAX_UNANSWERED requests in progress, or answers waiting for the client to read them.',
      registers,
    }),
    requestsInFlight: new Gauge({
      name: 'mcp_requests_in_flight',
      help: 'MCP requests received and not yet answered, all sessions together (a drain waits for these).',
      registers,
      collect() {
        this.set(state.requestsInFlight());
      },
    }),
  };
  // Zero the known label sets so rates exist from the first scrape.
  for (const tool of opts.tools) {
    for (const outcome of TOOL_OUTCOMES) m.toolCalls.inc({ tool, outcome }, 0);
    m.toolDuration.zero({ tool });
  }
  for (const fn of opts.wsfunctions) for (const outcome of MOODLE_OUTCOMES) m.moodleRequests.inc({ function: fn, outcome }, 0);
  for (const reason of REFUSAL_REASONS) m.refusedMessages.inc({ reason }, 0);
  for (const transport of SESSION_TRANSPORTS) {
    m.sessionsOpen.set({ transport }, 0);
    m.sessionsOpened.inc({ transport }, 0);
    for (const reason of SESSION_CLOSE_REASONS) m.sessionsClosed.inc({ transport, reason }, 0);
  }
  return m;
}
