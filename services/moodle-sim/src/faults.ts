/**
 * Latency and fault injection for the web service endpoint. The spec is
 * validated (zod) both when passed as an option and over HTTP
 * (`PUT /__sim/faults`). Which requests a fault hits is decided by a seeded
 * PRNG, so a given `rate` produces the same hit pattern on every run.
 */
import { z } from 'zod';
import { createPrng, type Prng } from './data/prng.js';

export const FAULT_MODES = ['none', 'down', 'timeout', 'slow', 'http500', 'garbage', 'exception'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export const faultSpecSchema = z
  .object({
    /** Added to every web service answer, in milliseconds. */
    latencyMs: z.number().int().min(0).max(600000).default(0),
    mode: z.enum(FAULT_MODES).default('none'),
    /** Extra delay of mode "slow", in milliseconds. */
    slowMs: z.number().int().min(0).max(600000).default(2000),
    /** Mode "exception": the Moodle exception to answer with. */
    errorcode: z.string().min(1).max(200).default('generalexceptionmessage'),
    exception: z.string().min(1).max(200).default('moodle_exception'),
    message: z.string().max(2000).optional(),
    /** Only these functions are affected; absent = every function. */
    functions: z.array(z.string().min(1)).optional(),
    /** Probability (0–1) that an eligible request is hit. */
    rate: z.number().min(0).max(1).default(1),
  })
  .strict();

/** What callers pass (every field optional). */
export type FaultSpec = z.input<typeof faultSpecSchema>;
/** The effective configuration with defaults filled in. */
export type FaultConfig = z.output<typeof faultSpecSchema>;

export const FAULT_SEED = 0xfa017;

/** Parses a spec; throws an Error naming each bad field. */
export function parseFaultSpec(input: unknown): FaultConfig {
  const r = faultSpecSchema.safeParse(input);
  if (r.success) return r.data;
  throw new Error(r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
}

export class Faults {
  private config: FaultConfig;
  private rnd: Prng = createPrng(FAULT_SEED);

  constructor(spec: FaultSpec = {}) {
    this.config = parseFaultSpec(spec);
  }

  get current(): FaultConfig {
    return this.config;
  }

  /** Replaces the whole configuration and restarts the PRNG, so a new spec starts a reproducible sequence. */
  set(spec: FaultSpec): void {
    this.config = parseFaultSpec(spec);
    this.rnd = createPrng(FAULT_SEED);
  }

  /** The fault to apply to one request for `wsfunction`, or 'none'. */
  pick(wsfunction: string): FaultMode {
    const c = this.config;
    if (c.mode === 'none') return 'none';
    if (c.functions && !c.functions.includes(wsfunction)) return 'none';
    if (c.rate < 1 && this.rnd.next() >= c.rate) return 'none';
    return c.mode;
  }
}
