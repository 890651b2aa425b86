import type { z } from 'zod';
import type { MoodleApi } from '../moodle/types.js';

/** What a tool's `run` gets besides its validated arguments. */
export interface ToolContext {
  moodle: MoodleApi;
  /** Aborted when the client cancels the call or the session closes. */
  signal: AbortSignal;
  /** Course used when a course-scoped tool is called without `courseId`. */
  defaultCourseId?: number;
}

/** What a tool returns on success: readable text, and data matching outputSchema. */
export interface ToolResult<O> {
  text: string;
  structured: O;
}

/**
 * One MCP tool. Schemas are zod objects built once at module load; the
 * server converts them to JSON Schema once and shares them between sessions.
 * `run` throws (a ToolInputError or a MoodleError) to fail; the server maps
 * errors to `isError: true` results in one place.
 */
export interface ToolDef<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  /** True for tools that change Moodle (hidden when ALLOW_WRITES=false). */
  write: boolean;
  /** The Moodle functions the tool needs (checked against the site's service at start). */
  wsfunctions: string[];
  run(args: z.infer<I>, ctx: ToolContext): Promise<ToolResult<z.infer<O>>>;
}
