import { CONTINUING, PARSE_ERROR, type ToolInfo } from './badInputs.js';
import { planBatches, type CampaignPlan } from './campaign.js';
import { classifyLine, splitLines } from './rawLines.js';

/** The generator itself: reproducible from its seed, and every line it promises -32700 for really is not JSON. */
describe('the bad-input generator', () => {
  const tools: ToolInfo[] = [{ name: 'get_courses', inputSchema: { properties: { perPage: { type: 'integer' } } }, annotations: { readOnlyHint: true } }];
  const plan = (seed: number): CampaignPlan => ({ seed, perCategory: 20, maxBatch: 5, oversize: 2, floods: 1, floodSize: 10, mixedFloodSize: 20, concurrency: 1 });
  const bytesOf = (seed: number) => planBatches(plan(seed), tools, 64 * 1024).flatMap((b) => b.inputs.map((i) => i.bytes.toString('base64')));

  it('gives the same inputs for the same seed, and others for another seed', () => {
    expect(bytesOf(8)).toEqual(bytesOf(8));
    expect(bytesOf(9)).not.toEqual(bytesOf(8));
  });

  it('covers every category, and answers a line with -32700 only when it is not UTF-8 JSON', () => {
    const inputs = planBatches(plan(8), tools, 64 * 1024).flatMap((b) => b.inputs);
    expect(new Set(inputs.map((i) => i.category))).toEqual(new Set([...CONTINUING, 'oversize_line', 'pipelined_requests']));
    for (const input of inputs.filter((i) => ['malformed_json', 'truncated_json', 'invalid_utf8', 'binary_noise', 'tls_client_hello'].includes(i.category))) {
      const lines = splitLines(input.bytes).map(classifyLine);
      expect({ category: input.category, lines: lines.filter((k) => k !== 'skip') }).toEqual({ category: input.category, lines: input.expect.map(() => 'parse_error') });
      expect(input.expect.every((e) => e.id === null && e.answer.kind === 'error' && e.answer.code === PARSE_ERROR)).toBe(true);
    }
  });
});
