/**
 * JSON-RPC error codes of this project beyond JSON-RPC's and MCP's own,
 * shared by the worker, the bridge (mcp-connect) and the tests. Implementation-
 * defined server errors live in -32000..-32099 (JSON-RPC 2.0, section 5.1).
 */
export const RpcCodes = {
  /** Per-teacher mode: this connection carries no teacher identity (no client certificate), or its teacher is not enrolled: nothing is served. */
  IDENTITY_REQUIRED: -32001,
  /** The connection was lost while a write was in flight: it may or may not have been applied. */
  MAYBE_APPLIED: -32003,
  /** The worker is shutting down and did NOT process this request: send it again on a new connection. */
  NOT_PROCESSED: -32004,
  /** A session went over its calls-per-second limit, or HAProxy refused a connection over a per-address limit: retry later. */
  RATE_LIMITED: -32029,
} as const;

/**
 * Sent by a worker that starts shutting down, on each session: "finish what you
 * sent; send nothing more on this connection". A client that understands it
 * (mcp-connect) stops writing and half-closes, so no request can cross the
 * worker's close unprocessed and unanswered; others ignore it (an unknown
 * notification) and are closed after a quiet period.
 */
export const DRAINING_NOTIFICATION = 'notifications/moodle-mcp/draining';
