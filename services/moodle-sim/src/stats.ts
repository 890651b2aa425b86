/** Per-function request counters for `GET /__sim/stats`. */
export interface StatsSnapshot {
  total: number;
  byFunction: Record<string, number>;
}

/** Requests to the web service endpoint without a wsfunction are counted under this name. */
export const NO_FUNCTION = '(none)';

export class Stats {
  private total = 0;
  private byFunction = new Map<string, number>();

  count(wsfunction: string): void {
    this.total++;
    const key = wsfunction || NO_FUNCTION;
    this.byFunction.set(key, (this.byFunction.get(key) ?? 0) + 1);
  }

  snapshot(): StatsSnapshot {
    return { total: this.total, byFunction: Object.fromEntries(this.byFunction) };
  }

  reset(): void {
    this.total = 0;
    this.byFunction.clear();
  }
}
