import { CallToolRequestSchema, ErrorCode, InitializeRequestSchema, ListToolsRequestSchema, PingRequestSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { errorResponse, type FramingErrorResponse } from '../transport/jsonrpc.js';

/** The request schemas of the methods a session serves. */
const SCHEMAS: Record<string, typeof PingRequestSchema | typeof InitializeRequestSchema | typeof ListToolsRequestSchema | typeof CallToolRequestSchema> = {
  initialize: InitializeRequestSchema,
  ping: PingRequestSchema,
  'tools/list': ListToolsRequestSchema,
  'tools/call': CallToolRequestSchema,
};

/**
 * JSON-RPC's -32602 Invalid params, naming each wrong member in one line, for
 * a request to a method the session serves whose params do not fit it; else
 * undefined. Pure. Without this the SDK answers such a request with -32603
 * (an internal error) and a multi-line dump of the validator's issues: it
 * validates params before its own error mapping applies.
 */
export function invalidParams(message: JSONRPCMessage): FramingErrorResponse | undefined {
  if (!('method' in message) || !('id' in message)) return undefined;
  const schema = Object.hasOwn(SCHEMAS, message.method) ? SCHEMAS[message.method] : undefined;
  const parsed = schema?.safeParse(message);
  if (!parsed || parsed.success) return undefined;
  const what = parsed.error.issues.map((i) => `${i.path.filter((p) => p !== 'params').join('.') || 'params'}: ${i.message}`).join('; ');
  return errorResponse(message.id, ErrorCode.InvalidParams, `Invalid params for ${message.method}: ${what}`);
}

/**
 * Makes `transport` answer requests with invalid params itself, before the
 * SDK server sees them; every transport alike. Call after `server.connect`,
 * which sets `onmessage`.
 */
export function refuseInvalidParams(transport: Transport): void {
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    const refusal = invalidParams(message);
    if (refusal) void transport.send(refusal as JSONRPCMessage).catch(() => undefined);
    else deliver?.(message, extra);
  };
}
