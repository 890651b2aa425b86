/** The few calls of Prometheus's HTTP API (v1) the observability tests make. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
export interface Target {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  scrapeUrl: string;
}
export interface Rule {
  name: string;
  type: 'alerting' | 'recording';
  query: string;
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
export interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

export class PrometheusApi {
  constructor(readonly url: string) {}

  private async get<T>(path: string): Promise<T> {
    const res = await fetch(`${this.url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? res.status}`);
    return body.data;
  }

  /** An instant query; throws with Prometheus's message when `expr` does not parse or evaluate. */
  async query(expr: string): Promise<Sample[]> {
    const data = await this.get<{ resultType: string; result: Sample[] | [number, string] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }];
    return data.result as Sample[];
  }

  async targets(): Promise<Target[]> {
    return (await this.get<{ activeTargets: Target[] }>('/api/v1/targets?state=active')).activeTargets;
  }

  async alertRules(): Promise<Rule[]> {
    const data = await this.get<{ groups: { rules: Rule[] }[] }>('/api/v1/rules?type=alert');
    return data.groups.flatMap((g) => g.rules);
  }

  async alerts(): Promise<Alert[]> {
    return (await this.get<{ alerts: Alert[] }>('/api/v1/alerts')).alerts;
  }

  async metricNames(): Promise<string[]> {
    return this.get<string[]>('/api/v1/label/__name__/values');
  }

  async labelValues(label: string, match: string): Promise<string[]> {
    return this.get<string[]>(`/api/v1/label/${encodeURIComponent(label)}/values?match[]=${encodeURIComponent(match)}`);
  }
}

/** True when some sample has a finite value (histogram_quantile of no observations is NaN). */
export function hasFiniteValue(samples: Sample[]): boolean {
  return samples.some((s) => Number.isFinite(Number(s.value[1])));
}
