/**
 * How big a run of the security suite is. `ci` (the default under jest)
 * takes about a minute; `full` is `make test-security`'s default
 * (SECURITY_PROFILE=full). SECURITY_SEED picks the generated inputs.
 */
import type { CampaignPlan } from './campaign.js';

export interface SecurityProfile {
  name: 'ci' | 'full';
  workers: number;
  campaign: Omit<CampaignPlan, 'seed'>;
  /** Slow senders, and the ms between two of their bytes. */
  slowSenders: number;
  slowTickMs: number;
  halfOpen: number;
  resets: number;
  /**
   * Clients that never read, and the big answers each asks for: 1,000 answers
   * of 36 KB are far more than the socket buffers hold, and each client reads
   * them all at the end (the worker only paused it), so more costs only time.
   */
  nonReaders: number;
  nonReaderRequests: number;
  /** Idle connections held through the run, and how many share one source address. */
  idle: number;
  idlePerSource: number;
  /** The well-behaved session's pause between calls, ms. */
  goodIntervalMs: number;
  /** Time for the whole abuse phase; nothing new starts after it. */
  budgetMs: number;
}

const PROFILES: Record<SecurityProfile['name'], Omit<SecurityProfile, 'name'>> = {
  ci: {
    workers: 2,
    campaign: { perCategory: 120, maxBatch: 20, oversize: 8, floods: 3, floodSize: 500, mixedFloodSize: 300, concurrency: 6 },
    slowSenders: 20,
    slowTickMs: 30,
    halfOpen: 16,
    resets: 10,
    nonReaders: 4,
    nonReaderRequests: 1000,
    idle: 1000,
    idlePerSource: 25,
    goodIntervalMs: 100,
    budgetMs: 60_000,
  },
  full: {
    workers: 3,
    campaign: { perCategory: 1500, maxBatch: 40, oversize: 60, floods: 8, floodSize: 3000, mixedFloodSize: 2000, concurrency: 12 },
    slowSenders: 200,
    slowTickMs: 40,
    halfOpen: 100,
    resets: 100,
    nonReaders: 16,
    nonReaderRequests: 1500,
    idle: 5000,
    idlePerSource: 25,
    goodIntervalMs: 100,
    budgetMs: 420_000,
  },
};

export function loadProfile(env: NodeJS.ProcessEnv): SecurityProfile & { seed: number } {
  const name = env.SECURITY_PROFILE ?? 'ci';
  if (name !== 'ci' && name !== 'full') throw new Error(`SECURITY_PROFILE must be ci or full, got "${name}"`);
  const seed = Number(env.SECURITY_SEED ?? 8);
  if (!Number.isSafeInteger(seed)) throw new Error(`SECURITY_SEED must be a whole number, got "${env.SECURITY_SEED}"`);
  return { name, seed, ...PROFILES[name] };
}
