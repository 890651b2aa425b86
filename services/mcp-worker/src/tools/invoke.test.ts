import { z } from 'zod';
import { defineTool } from './define.js';
import { invokeTool } from './invoke.js';
import type { ToolContext } from './types.js';

// These tools never call Moodle, so the context needs no Moodle behind it.
const ctx: ToolContext = {
  moodle: { call: () => Promise.reject(new Error('not used')) },
  signal: new AbortController().signal,
};

function echoTool(structured: (n: number) => Record<string, unknown>) {
  return defineTool({
    name: 'echo',
    title: 'Echo',
    description: 'Echoes n.',
    inputSchema: z.object({ n: z.number().int().default(7).describe('A number.') }),
    outputSchema: z.object({ n: z.number().int(), nested: z.object({ ok: z.boolean() }) }),
    write: false,
    wsfunctions: ['core_webservice_get_site_info'],
    run: async ({ n }) => ({ text: `n=${n}`, structured: structured(n) as { n: number; nested: { ok: boolean } } }),
  });
}

describe('invokeTool', () => {
  it('applies input defaults before run and returns the result', async () => {
    const result = await invokeTool(
      echoTool((n) => ({ n, nested: { ok: true } })),
      {},
      ctx,
    );
    expect(result).toEqual({ text: 'n=7', structured: { n: 7, nested: { ok: true } } });
  });

  it('rejects arguments the input schema refuses', async () => {
    await expect(
      invokeTool(
        echoTool((n) => ({ n, nested: { ok: true } })),
        { n: 'x' },
        ctx,
      ),
    ).rejects.toThrow(z.ZodError);
  });

  it('rejects a structured result that misses a declared field', async () => {
    await expect(
      invokeTool(
        echoTool((n) => ({ n })),
        {},
        ctx,
      ),
    ).rejects.toThrow(z.ZodError);
  });

  it('rejects a structured result with a field the output schema does not declare, naming its path', async () => {
    await expect(
      invokeTool(
        echoTool((n) => ({ n, nested: { ok: true, extra: 1 } })),
        {},
        ctx,
      ),
    ).rejects.toThrow('$.nested.extra');
  });
});
