import type { z } from 'zod';
import type { ToolContext, ToolDef, ToolResult } from './types.js';

/**
 * Runs a tool the way the server does around `run`: arguments are validated
 * (and defaults applied) with the input schema first, and the structured
 * result must match the output schema exactly — a field the schema does not
 * declare is an error here, not silently dropped. Errors are thrown as-is.
 */
export async function invokeTool<I extends z.ZodObject, O extends z.ZodObject>(
  tool: ToolDef<I, O>,
  rawArgs: unknown,
  ctx: ToolContext,
): Promise<ToolResult<z.infer<O>>> {
  const args = tool.inputSchema.parse(rawArgs) as z.infer<I>;
  const result = await tool.run(args, ctx);
  const parsed: unknown = tool.outputSchema.parse(result.structured);
  const extra = undeclaredPath(result.structured, parsed);
  if (extra) throw new Error(`${tool.name}: structured result has a field its outputSchema does not declare: ${extra}`);
  return result;
}

/** First path present in `actual` but stripped from `parsed` by zod, or null. */
function undeclaredPath(actual: unknown, parsed: unknown, path = '$'): string | null {
  if (Array.isArray(actual) && Array.isArray(parsed)) {
    for (let i = 0; i < actual.length; i++) {
      const found = undeclaredPath(actual[i], parsed[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (isPlainObject(actual) && isPlainObject(parsed)) {
    for (const key of Object.keys(actual)) {
      if (!(key in parsed)) return `${path}.${key}`;
      const found = undeclaredPath(actual[key], parsed[key], `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
