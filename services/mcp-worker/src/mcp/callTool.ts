import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Logger } from '@moodle-mcp/common';
import { MoodleError } from '../moodle/errors.js';
import type { CachedMoodle } from '../cache/index.js';
import type { MoodleApi } from '../moodle/types.js';
import { ToolInputError } from '../tools/errors.js';
import type { WorkerMetrics } from '../metrics.js';
import type { ToolCatalog } from './toolCatalog.js';
import type { CallIdentity } from '../identity/identities.js';

export interface CallDeps {
  catalog: ToolCatalog;
  defaultCourseId?: number;
  logger: Logger;
  metrics: WorkerMetrics;
}

export interface CallInfo {
  sessionId: string;
  name: string;
  args: Record<string, unknown> | undefined;
  signal: AbortSignal;
  /** Who the call acts as: its Moodle (through the shared cache, scoped to its token), flags and log fields. */
  identity: Pick<CallIdentity, 'log' | 'readOnly' | 'courses'> & { moodle: Pick<CachedMoodle, 'callWithMeta'> };
}

/**
 * The one boundary where a tool call's failures become MCP answers:
 * - unknown (or disabled) tool → JSON-RPC error -32602, as the MCP spec says;
 * - arguments failing the schema, ToolInputError, MoodleError → a result with
 *   `isError: true` and a message the assistant can act on;
 * - anything else → "internal error" with no detail leaving the process.
 */
export async function callTool(deps: CallDeps, call: CallInfo): Promise<CallToolResult> {
  const tool = deps.catalog.get(call.name);
  if (!tool) {
    const why = deps.catalog.isDisabled(call.name)
      ? `Tool ${call.name} is disabled on this server (ALLOW_WRITES=false)`
      : `Unknown tool: ${call.name}. Call tools/list for the available tools`;
    deps.metrics.refusedMessages.inc({ reason: 'invalid_request' });
    throw new McpError(ErrorCode.InvalidParams, why);
  }
  const started = process.hrtime.bigint();
  let outcome = 'ok';
  let failure: string | undefined;
  try {
    const who = call.identity;
    if (tool.write && who.readOnly) {
      outcome = 'refused';
      failure = `${tool.name} is not available to ${who.log.teacher ?? 'you'}: the administrator made this teacher read-only on the stack`;
      return errorResult(failure);
    }
    const parsed = tool.inputSchema.safeParse(call.args ?? {});
    if (!parsed.success) {
      outcome = 'invalid_arguments';
      return errorResult(`Invalid arguments for ${tool.name}: ${describeIssues(parsed.error)}`);
    }
    const outside = who.courses ? coursesOutside(parsed.data, 'courseId' in tool.inputSchema.shape ? deps.defaultCourseId : undefined, who.courses) : [];
    if (outside.length) {
      outcome = 'refused';
      failure = `Course ${outside.join(', ')} is not among the courses the administrator allows ${who.log.teacher ?? 'you'} to use through the assistant (${who.courses!.join(', ')})`;
      return errorResult(failure);
    }
    // Per call: notes whether any answer came from the cache past its TTL because Moodle failed.
    let staleAge = -1;
    const moodle: MoodleApi = {
      call: async (fn, params, opts) => {
        const r = await who.moodle.callWithMeta<never>(fn, params, opts);
        if (r.cache === 'stale') staleAge = Math.max(staleAge, r.ageSeconds);
        return r.value;
      },
    };
    const result = await tool.run(parsed.data, { moodle, signal: call.signal, defaultCourseId: deps.defaultCourseId });
    const structuredContent = result.structured as Record<string, unknown>;
    if (staleAge < 0) return { content: [{ type: 'text', text: result.text }], structuredContent };
    outcome = 'ok_stale';
    return {
      content: [{ type: 'text', text: `${staleNote(staleAge)}\n\n${result.text}` }],
      structuredContent,
      _meta: { 'moodle-mcp/cache': { stale: true, ageSeconds: staleAge } },
    };
  } catch (err) {
    if (call.signal.aborted) outcome = 'cancelled';
    else if (err instanceof ToolInputError) outcome = 'invalid_arguments';
    else if (err instanceof MoodleError) outcome = 'moodle_error';
    else outcome = 'internal_error';
    if (outcome === 'internal_error') {
      deps.logger.error('tool failed unexpectedly', { sessionId: call.sessionId, tool: tool.name, ...call.identity.log, error: err instanceof Error ? err.message : String(err) });
      return errorResult(`Internal error in ${tool.name}; the server log has the details.`);
    }
    failure = (err as Error).message;
    return errorResult(failure);
  } finally {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const durationMs = Math.round(seconds * 1e4) / 10;
    deps.metrics.toolCalls.inc({ tool: tool.name, outcome });
    deps.metrics.toolDuration.observe({ tool: tool.name }, seconds);
    const who = call.identity.log;
    deps.logger.info('tool call', { sessionId: call.sessionId, tool: tool.name, ...who, durationMs, outcome });
    // The audit trail of every change to Moodle: who (teacher, Moodle user, session), what, when (time), and how it ended.
    if (tool.write) deps.logger.info('audit: write', { audit: true, sessionId: call.sessionId, ...who, tool: tool.name, arguments: auditArgs(call.args), outcome, durationMs, ...(failure ? { error: failure } : {}) });
  }
}

/** The arguments of a write as the audit log keeps them: long texts (feedback) by length only. */
function auditArgs(args: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args ?? {})) out[k] = typeof v === 'string' && v.length > 80 ? `[${v.length} characters]` : typeof v === 'object' && v !== null ? '[object]' : v;
  return out;
}

/** Said first in a result served from the cache because Moodle could not answer. */
function staleNote(ageSeconds: number): string {
  const age = ageSeconds < 120 ? `${ageSeconds} s` : ageSeconds < 7200 ? `${Math.round(ageSeconds / 60)} min` : `${Math.round(ageSeconds / 3600)} h`;
  return `[STALE DATA] Moodle is not answering right now; this is the last good answer, ${age} old. It may be out of date.`;
}

function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/** "courseId: expected number, received string; page: too small" */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 8)
    .map((i) => `${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`)
    .join('; ');
}

/** The course ids a call names (courseId, else the default course of a course-scoped tool; courseIds) that are not in `allowed`. */
function coursesOutside(args: Record<string, unknown>, defaultCourseId: number | undefined, allowed: number[]): number[] {
  const named: number[] = [];
  const id = typeof args.courseId === 'number' ? args.courseId : defaultCourseId;
  if (id !== undefined) named.push(id);
  if (Array.isArray(args.courseIds)) for (const id of args.courseIds) if (typeof id === 'number') named.push(id);
  return [...new Set(named.filter((id) => !allowed.includes(id)))];
}
