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
