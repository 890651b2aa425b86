import { RpcCodes } from '@moodle-mcp/common';

export interface CallRate {
  /** Calls per second a session may make on average; 0 means no limit. */
  perSecond: number;
  /** Calls a session may make at once after being quiet (the bucket's size). */
  burst: number;
}

/**
 * One session's token bucket, pure: the clock is passed in (ms). The bucket
 * starts full; each call takes a token; tokens come back at `perSecond`.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly rate: CallRate,
    now: number,
  ) {
    this.tokens = rate.burst;
    this.at = now;
  }

  /** Takes a token: 0 when the call may go ahead, else how long until one is free, ms (>= 1). */
  take(now: number): number {
    if (this.rate.perSecond <= 0) return 0;
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.at) / 1000) * this.rate.perSecond);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.rate.perSecond) * 1000));
  }
}

/** The error a refused call is answered with (the SDK sends `code`, `message` and `data` as they are). */
export class RateLimitedError extends Error {
  readonly code = RpcCodes.RATE_LIMITED;
  readonly data: { retryAfterMs: number; callsPerSecond: number };

  constructor(rate: CallRate, retryAfterMs: number, per: 'session' | 'teacher' = 'session') {
    super(`rate limited: ${rate.perSecond} calls/s per ${per === 'teacher' ? 'teacher (all your sessions together)' : 'session'} (bursts of ${rate.burst}); retry in ${retryAfterMs} ms`);
    this.name = 'RateLimitedError';
    this.data = { retryAfterMs, callsPerSecond: rate.perSecond };
  }
}
