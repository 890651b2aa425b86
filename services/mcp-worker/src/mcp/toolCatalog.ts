import { z } from 'zod';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolDef } from '../tools/types.js';

/**
 * The tools as MCP advertises them, computed once per process and shared by
 * every session (converting zod to JSON Schema per session or per call would
 * cost memory and CPU for nothing).
 */
export class ToolCatalog {
  readonly listed: Tool[];
  /** What a read-only teacher is offered: `listed` without the write tools. */
  readonly listedReadOnly: Tool[];
  private readonly byName: Map<string, ToolDef>;

  constructor(
    readonly tools: readonly ToolDef[],
    readonly allowWrites: boolean,
  ) {
    const enabled = tools.filter((t) => allowWrites || !t.write);
    this.byName = new Map(enabled.map((t) => [t.name, t]));
    this.listed = enabled.map(describeTool);
    this.listedReadOnly = this.listed.filter((t) => !this.byName.get(t.name)?.write);
  }

  get(name: string): ToolDef | undefined {
    return this.byName.get(name);
  }

  /** A tool that exists but is switched off here (ALLOW_WRITES=false). */
  isDisabled(name: string): boolean {
    return !this.byName.has(name) && this.tools.some((t) => t.name === name);
  }
}

function describeTool(t: ToolDef): Tool {
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: jsonSchema(t.inputSchema, 'input') as Tool['inputSchema'],
    outputSchema: jsonSchema(t.outputSchema, 'output') as Tool['outputSchema'],
    annotations: t.write
      ? { title: t.title, readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true }
      : { title: t.title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  };
}

function jsonSchema(schema: z.ZodObject, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}
