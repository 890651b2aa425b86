/**
 * One sample scraped from a service's /metrics: the first line of `name` whose
 * labels include every `key="value"` in `labels` (comma-separated); NaN when none.
 */
export async function metric(stack: { httpUrl: string }, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${stack.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((kv) => l.includes(kv)));
  return line ? Number(line.split(' ').pop()) : NaN;
}
