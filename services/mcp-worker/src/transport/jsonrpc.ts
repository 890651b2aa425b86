import { ErrorCode, JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** A JSON-RPC error answer produced before a message reaches the MCP session. */
export interface FramingErrorResponse {
  jsonrpc: '2.0';
  id: string | number | null;
  error: { code: number; message: string };
}

export type ParsedLine = { ok: true; message: JSONRPCMessage } | { ok: false; response: FramingErrorResponse };

export function errorResponse(id: string | number | null, code: number, message: string): FramingErrorResponse {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/**
 * One line of text → a JSON-RPC message, or the error the sender gets back:
 * -32700 (id null) when the line is not JSON; -32600 when it is JSON but not a
 * JSON-RPC 2.0 message (with the request's id when it has a usable one).
 * Batches (JSON arrays) are not part of MCP since 2025-06-18 and are refused.
 */
export function parseLine(text: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const why = err instanceof SyntaxError ? err.message : 'invalid JSON';
    return { ok: false, response: errorResponse(null, ErrorCode.ParseError, `Parse error: ${why}`) };
  }
  if (Array.isArray(value)) {
    return {
      ok: false,
      response: errorResponse(null, ErrorCode.InvalidRequest, 'Invalid Request: JSON-RPC batches are not supported; send one message at a time'),
    };
  }
  const parsed = JSONRPCMessageSchema.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  return { ok: false, response: errorResponse(usableId(value), ErrorCode.InvalidRequest, `Invalid Request: ${describe(value)}`) };
}

function usableId(value: unknown): string | number | null {
  if (typeof value !== 'object' || value === null) return null;
  const id = (value as Record<string, unknown>).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)) ? id : null;
}

/** Says what is wrong in words a client developer recognises. */
function describe(value: unknown): string {
  if (typeof value !== 'object' || value === null) return `expected a JSON-RPC 2.0 object, got ${value === null ? 'null' : typeof value}`;
  const v = value as Record<string, unknown>;
  if (v.jsonrpc !== '2.0') return 'the "jsonrpc" member must be exactly "2.0"';
  if ('method' in v && typeof v.method !== 'string') return 'the "method" member must be a string';
  if ('id' in v && !(typeof v.id === 'string' || typeof v.id === 'number')) return 'the "id" member must be a string or a number';
  if ('params' in v && (typeof v.params !== 'object' || v.params === null)) return 'the "params" member must be an object';
  if (!('method' in v) && !('result' in v) && !('error' in v)) return 'a message needs "method" (request/notification) or "result"/"error" (response)';
  return 'not a valid JSON-RPC 2.0 request, notification or response';
}
