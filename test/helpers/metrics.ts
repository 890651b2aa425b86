/**
 * One sample scraped from a service's /metrics: the first line of `name` whose
 * labels include every `key="value"` in `labels` (comma-separated; none: the
 * first line of `name`); NaN when none.
 */
export async function metric(stack: { httpUrl: string }, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${stack.httpUrl}/metrics`)).text();
  const wanted = labels.split(',').filter(Boolean);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((kv) => l.includes(kv)));
  return line ? Number(line.split(' ').pop()) : NaN;
}
