/**
 * The fuzz campaign: every category of bad input, generated from one seed,
 * cut into batches (one connection each) and run a few connections at a time
 * through the VIP. Bounded in count (the plan) and in time (the deadline:
 * no batch starts after it).
 */
import { createPrng, type Prng } from '../../services/moodle-sim/src/data/prng.js';
import { CONTINUING, generate, type BadInput, type Category, type GeneratorContext, type ToolInfo } from './badInputs.js';
import { runBatch, type BatchOptions } from './exchange.js';

export interface CampaignPlan {
  seed: number;
  /** Inputs of each category in CONTINUING. */
  perCategory: number;
  /** Most inputs sent at once on one connection. */
  maxBatch: number;
  /** Connections that send a line over the limit. */
  oversize: number;
  /** Connections that pipeline `floodSize` good requests in one write... */
  floods: number;
  floodSize: number;
  /** ...and one that pipelines this many bad inputs of every kind in one write. */
  mixedFloodSize: number;
  /** Connections at a time. */
  concurrency: number;
}

export interface CategoryTally {
  tried: number;
  asExpected: number;
  /** Requests refused by the per-session rate limit (-32029), accepted on floods only. */
  rateLimited: number;
  /** A few inputs that did not get their answer, with what they got. */
  examples: string[];
}

export interface CampaignResult {
  tallies: Map<Category, CategoryTally>;
  /** Answers nobody asked for, and sessions that did not go on after a batch. */
  unexpected: string[];
  batches: number;
  /** Batches not started because the deadline passed. */
  skipped: number;
}

interface Batch {
  inputs: BadInput[];
  opts: Omit<BatchOptions, 'rnd' | 'timeoutMs'>;
}

function idKeys(input: BadInput): string[] {
  return input.expect.filter((e) => e.id !== null).map((e) => `${typeof e.id}:${String(e.id)}`);
}

/** Cuts `inputs` into batches of 1..max inputs whose ids do not repeat within a batch. */
function cut(inputs: BadInput[], max: number, rnd: Prng, opts: Batch['opts']): Batch[] {
  const out: Batch[] = [];
  let current: BadInput[] = [];
  let seen = new Set<string>();
  let size = rnd.int(1, max);
  for (const input of inputs) {
    const keys = idKeys(input);
    if (current.length >= size || keys.some((k) => seen.has(k))) {
      if (current.length) out.push({ inputs: current, opts });
      current = [];
      seen = new Set();
      size = rnd.int(1, max);
    }
    current.push(input);
    keys.forEach((k) => seen.add(k));
  }
  if (current.length) out.push({ inputs: current, opts });
  return out;
}

/** Every batch of the plan, in a seeded random order. */
export function planBatches(plan: CampaignPlan, tools: ToolInfo[], maxLineBytes: number): Batch[] {
  const rnd = createPrng(plan.seed);
  let next = 0;
  const ctx: GeneratorContext = { rnd, tools, maxLineBytes, id: () => (++next % 2 ? next : `r${next}`) };
  const many = (category: Category, n: number) => Array.from({ length: n }, () => generate(category, ctx));
  const onSession = { initialize: true, allowRateLimit: false };
  const initialized = CONTINUING.filter((c) => c !== 'before_initialize' && c !== 'forged_proxy_header');
  const batches = [
    ...cut(many('before_initialize', plan.perCategory), plan.maxBatch, rnd, { initialize: false, allowRateLimit: false }),
    // A forged header only means anything as the first bytes of a connection: one per connection.
    ...cut(many('forged_proxy_header', plan.perCategory), 1, rnd, { initialize: false, allowRateLimit: false }),
    ...cut(rnd.shuffle(initialized.flatMap((c) => many(c, plan.perCategory))), plan.maxBatch, rnd, onSession),
    ...Array.from({ length: plan.oversize }, () => ({ inputs: many('oversize_line', 1), opts: onSession })),
    ...Array.from({ length: plan.floods }, () => ({ inputs: many('pipelined_requests', plan.floodSize), opts: { initialize: true, allowRateLimit: true } })),
  ];
  // One flood of everything bad in one write; inputs whose ids repeat within it are left out.
  const mixed = cut(
    Array.from({ length: plan.mixedFloodSize }, () => generate(rnd.pick(initialized), ctx)),
    Number.MAX_SAFE_INTEGER,
    rnd,
    { initialize: true, allowRateLimit: true },
  );
  return rnd.shuffle([...batches, ...(mixed[0] ? [mixed[0]] : [])]);
}

/** Runs every batch of the plan against the VIP at `port`, `plan.concurrency` at a time, until `deadline` (epoch ms). */
export async function runCampaign(port: number, plan: CampaignPlan, tools: ToolInfo[], maxLineBytes: number, deadline: number): Promise<CampaignResult> {
  const batches = planBatches(plan, tools, maxLineBytes);
  const rnd = createPrng(plan.seed + 1);
  const tallies = new Map<Category, CategoryTally>();
  const unexpected: string[] = [];
  let nextBatch = 0;
  let skipped = 0;
  const runner = async () => {
    for (let i = nextBatch++; i < batches.length; i = nextBatch++) {
      const remaining = deadline - Date.now();
      if (remaining < 1_000) {
        skipped++;
        continue;
      }
      const { inputs, opts } = batches[i]!;
      const r = await runBatch(port, inputs, { ...opts, rnd, timeoutMs: Math.min(30_000, remaining) }).catch((err: unknown) => ({
        verdicts: inputs.map((input) => ({ input, problems: [`connection failed: ${err instanceof Error ? err.message : String(err)}`], rateLimited: 0 })),
        unexpected: [],
      }));
      unexpected.push(...r.unexpected);
      for (const v of r.verdicts) {
        const t = tallies.get(v.input.category) ?? { tried: 0, asExpected: 0, rateLimited: 0, examples: [] };
        tallies.set(v.input.category, t);
        t.tried++;
        t.rateLimited += v.rateLimited;
        if (v.problems.length === 0) t.asExpected++;
        else if (t.examples.length < 5) t.examples.push(`${v.input.bytes.subarray(0, 100).toString('latin1').replace(/[^\x20-\x7e]/g, '.')} -> ${v.problems.join('; ')}`);
      }
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, runner));
  return { tallies, unexpected, batches: batches.length, skipped };
}
