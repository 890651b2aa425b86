/** What the bridge reads of JSON-RPC messages passing by. Pure. */

export type Id = string | number;

export interface Message {
  id?: Id | null;
  method?: unknown;
  params?: { name?: unknown };
  result?: { tools?: { name?: unknown; annotations?: { readOnlyHint?: unknown } }[] };
  error?: { code?: number; message?: string };
}

export function parse(line: string): Message | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Message) : undefined;
  } catch {
    return undefined;
  }
}

/** Ids 1 and "1" are different requests. */
export function key(id: Id): string {
  return `${typeof id}:${id}`;
}
