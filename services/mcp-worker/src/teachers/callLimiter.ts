/**
 * tools/call per second per teacher, over all their sessions and all workers
 * (TEACHER_CALL_RATE, TEACHER_CALL_BURST). The bucket lives in the cache's
 * Redis (one per teacher, refilled by Redis's own clock, so the workers'
 * clocks do not matter); a worker takes tokens from it in small leases and
 * spends them locally, so most calls cost no Redis round trip. A lease not
 * spent within LEASE_MS lapses (never more than `lease` calls per worker
 * beyond what the bucket has handed out). While Redis is unusable each worker
 * falls back to a bucket of its own per teacher: the limit then holds per
 * worker, and calls never fail because of Redis.
 */
import { createHash } from 'node:crypto';
import type { CacheStore } from '../cache/cache-store.js';
import { TokenBucket, type CallRate } from '../mcp/callRateLimit.js';

const LEASE_MS = 1000;

// KEYS[1] bucket; ARGV rate/s, burst, tokens wanted. Returns {granted, retry after ms}.
const TAKE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(b[1]) or burst, tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local got = math.min(want, math.floor(tokens))
tokens = tokens - got
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
if got > 0 then return {got, 0} end
return {0, math.max(1, math.ceil((1 - tokens) / rate * 1000))}
`;

interface Lease {
  tokens: number;
  until: number;
  fetching?: Promise<void>;
  /** Used while Redis is unusable. */
  local: TokenBucket;
}

export class TeacherCallLimiter {
  private readonly leases = new Map<string, Lease>();
  private readonly take?: (...args: (string | number)[]) => Promise<unknown>;
  /** Tokens taken from Redis at a time: a tenth of a second's worth, 1 to 10. */
  private readonly chunk: number;

  constructor(
    readonly rate: CallRate,
    private readonly store: CacheStore | undefined,
    private readonly keyPrefix: string,
  ) {
    this.take = store?.script('rate_limit', 'mcpTeacherTake', 1, TAKE_LUA);
    this.chunk = Math.max(1, Math.min(10, Math.floor(rate.perSecond / 10)));
  }

  /** 0 when `teacher` may call now, else how long until they may, ms. */
  async admit(teacher: string): Promise<number> {
    if (this.rate.perSecond <= 0) return 0;
    let lease = this.leases.get(teacher);
    if (!lease) {
      lease = { tokens: 0, until: 0, local: new TokenBucket(this.rate, Date.now()) };
      this.leases.set(teacher, lease);
    }
    for (let round = 0; round < 3; round++) {
      const now = Date.now();
      if (lease.tokens > 0 && now < lease.until) {
        lease.tokens--;
        return 0;
      }
      if (!this.take) return lease.local.take(now);
      if (!lease.fetching) {
        let retry = 0;
        const l = lease;
        l.fetching = this.fetch(teacher, l)
          .then((r) => void (retry = r))
          .finally(() => (l.fetching = undefined));
        await l.fetching;
        if (retry !== 0) return retry;
      } else await lease.fetching;
    }
    return lease.local.take(Date.now());
  }

  /** Fills `lease` from Redis: 0 when tokens came (or Redis is unusable and the local bucket allows), else ms to wait. */
  private async fetch(teacher: string, lease: Lease): Promise<number> {
    const reply = await this.take!(this.bucketKey(teacher), this.rate.perSecond, this.rate.burst, this.chunk);
    if (!Array.isArray(reply)) {
      // Redis unusable: this worker's own bucket decides.
      const wait = lease.local.take(Date.now());
      if (wait === 0) {
        lease.tokens = 1;
        lease.until = Date.now() + LEASE_MS;
      }
      return wait;
    }
    const [got, retryMs] = reply.map(Number) as [number, number];
    if (got > 0) {
      lease.tokens = got;
      lease.until = Date.now() + LEASE_MS;
      return 0;
    }
    return Math.max(1, retryMs);
  }

  /** The teacher's name is hashed: Redis keys hold no names. */
  private bucketKey(teacher: string): string {
    return `${this.keyPrefix}:rate:v1:${createHash('sha256').update(teacher).digest('hex').slice(0, 24)}`;
  }
}
