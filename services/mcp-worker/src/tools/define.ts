import type { z } from 'zod';
import type { ToolDef } from './types.js';

/**
 * Identity helper that lets TypeScript infer a tool's argument and result
 * types from its schemas, so `run` is checked against both.
 */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDef<I, O>): ToolDef<I, O> {
  return def;
}
