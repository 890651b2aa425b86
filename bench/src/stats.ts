/** Latency summary in milliseconds. */
export function percentiles(samplesMs: number[]): { p50: number; p95: number; p99: number; max: number } {
  if (samplesMs.length === 0) return { p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const s = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s[s.length - 1] };
}

/** Sums the samples of one metric family whose labels include every `match` pair, from Prometheus text. */
export function sumMetric(text: string, name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (!Object.entries(match).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
