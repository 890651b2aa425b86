import { RpcCodes } from '@moodle-mcp/common';
import { RateLimitedError, TokenBucket } from './callRateLimit.js';

describe('TokenBucket (calls per second per session)', () => {
  it('lets a burst through at once, then refuses with the wait until the next token', () => {
    const b = new TokenBucket({ perSecond: 10, burst: 3 }, 0);
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([0, 0, 0]);
    expect(b.take(0)).toBe(100);
    expect(b.take(40)).toBe(60);
    expect(b.take(100)).toBe(0);
    expect(b.take(100)).toBe(100);
  });

  it('refills at the rate but never beyond the burst', () => {
    const b = new TokenBucket({ perSecond: 2, burst: 2 }, 0);
    b.take(0);
    b.take(0);
    expect(b.take(60_000)).toBe(0);
    expect(b.take(60_000)).toBe(0);
    expect(b.take(60_000)).toBe(500);
  });

  it('never refuses with a rate of 0 (no limit)', () => {
    const b = new TokenBucket({ perSecond: 0, burst: 1 }, 0);
    for (let i = 0; i < 1000; i++) expect(b.take(0)).toBe(0);
  });

  it('words its refusal for the client: code -32029, the limit and when to retry', () => {
    const e = new RateLimitedError({ perSecond: 5, burst: 10 }, 180);
    expect(e.code).toBe(RpcCodes.RATE_LIMITED);
    expect(RpcCodes.RATE_LIMITED).toBe(-32029);
    expect(e.message).toBe('rate limited: 5 calls/s per session (bursts of 10); retry in 180 ms');
    expect(e.data).toEqual({ retryAfterMs: 180, callsPerSecond: 5 });
  });
});
