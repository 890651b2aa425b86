import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * Counts requests received and not yet answered, across all sessions, so
 * shutdown can wait until every answer has been written (not merely computed).
 */
export class InflightCalls {
  private count = 0;
  private waiters: (() => void)[] = [];

  get size(): number {
    return this.count;
  }

  begin(): void {
    this.count++;
  }

  end(n = 1): void {
    this.count = Math.max(0, this.count - n);
    if (this.count === 0) for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves true when no call is in progress, or false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== onIdle);
        resolve(v);
      };
      const onIdle = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.push(onIdle);
    });
  }
}

/**
 * One session's requests received and not yet answered, reported to the
 * worker-wide InflightCalls. Transports feed it every message in each
 * direction; a cancelled request gets no answer (MCP spec), so it ends here.
 */
export class SessionRequests {
  private readonly unanswered = new Set<string | number>();

  constructor(private readonly inflight?: { begin(): void; end(n?: number): void }) {}

  get size(): number {
    return this.unanswered.size;
  }

  /** A message from the client. True when it ended a pending request (a cancellation). */
  received(message: JSONRPCMessage): boolean {
    if (!('method' in message)) return false;
    if ('id' in message) {
      if (!this.unanswered.has(message.id)) this.inflight?.begin();
      this.unanswered.add(message.id);
      return false;
    }
    if (message.method !== 'notifications/cancelled') return false;
    const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
    return (typeof id === 'string' || typeof id === 'number') && this.end(id);
  }

  /** A message to the client (or one answered on the wire by the transport). True when it answered a pending request. */
  sent(message: { id?: unknown; method?: unknown }): boolean {
    if ('method' in message) return false;
    const id = message.id;
    return (typeof id === 'string' || typeof id === 'number') && this.end(id);
  }

  /** The session closed: its pending requests will never be answered. */
  abandon(): void {
    if (this.unanswered.size) this.inflight?.end(this.unanswered.size);
    this.unanswered.clear();
  }

  private end(id: string | number): boolean {
    if (!this.unanswered.delete(id)) return false;
    this.inflight?.end();
    return true;
  }
}
