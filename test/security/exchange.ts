/**
 * Sends a batch of bad inputs on one TCP connection and holds each answer
 * against what the input was promised: answers with an id are matched by id,
 * answers with id null by order (the framing answers them synchronously, in
 * the order of the lines). A sentinel request after the batch marks its end
 * and proves the session goes on.
 */
import type { Prng } from '../../services/moodle-sim/src/data/prng.js';
import { LineSocket } from '../helpers/lineSocket.js';
import { waitFor } from '../helpers/wait.js';
import { sourceAddress, SOURCES } from './abuse.js';
import { RATE_LIMITED, sentinel, type BadInput, type Expectation, type JsonRpcId } from './badInputs.js';

type Message = Record<string, any>;

export interface InputVerdict {
  input: BadInput;
  /** Empty when every answer was the promised one. */
  problems: string[];
  /** Answers that were the rate limit's -32029 (accepted on floods). */
  rateLimited: number;
}

export interface BatchResult {
  verdicts: InputVerdict[];
  /** Answers no input asked for, and lines that were not JSON. */
  unexpected: string[];
}

export interface BatchOptions {
  /** Send `initialize` first (every category but `before_initialize`). */
  initialize: boolean;
  /** Accept -32029 for any request with an id (floods meet the per-session rate limit). */
  allowRateLimit: boolean;
  rnd: Prng;
  /** How long the batch's answers may take in all. */
  timeoutMs: number;
}

const key = (id: JsonRpcId | null) => `${typeof id}:${String(id)}`;

function describeAnswer(m: Message | undefined): string {
  if (!m) return 'no answer';
  if ('notJson' in m) return `a line that is not JSON: ${String(m.notJson).slice(0, 80)}`;
  if (m.error) return `error ${m.error.code} "${String(m.error.message).slice(0, 120)}"`;
  if (m.result?.isError) return `tool error "${String(m.result.content?.[0]?.text).slice(0, 120)}"`;
  return 'a result';
}

/** Undefined when `m` is the promised answer; else what is wrong. */
function mismatch(m: Message | undefined, exp: Expectation, allowRateLimit: boolean): string | undefined {
  const a = exp.answer;
  const has = (text: unknown, mentions: string[]) => mentions.every((s) => String(text).toLowerCase().includes(s.toLowerCase()));
  if (m && allowRateLimit && exp.id !== null && m.error?.code === RATE_LIMITED) return undefined;
  const ok =
    m !== undefined &&
    (a.kind === 'result'
      ? 'result' in m && !m.result?.isError
      : a.kind === 'tool_error'
        ? m.result?.isError === true && has(m.result.content?.[0]?.text, a.mentions)
        : m.error?.code === a.code && has(m.error.message, a.mentions));
  if (ok) return undefined;
  const wanted = a.kind === 'error' ? `error ${a.code}${a.mentions.length ? ` naming ${a.mentions.join(', ')}` : ''}` : a.kind === 'tool_error' ? `tool error naming ${a.mentions.join(', ')}` : 'a result';
  return `id ${JSON.stringify(exp.id)?.slice(0, 40)}: expected ${wanted}, got ${describeAnswer(m)}`;
}

/** Writes `bytes` in a few randomly cut pieces, so lines are split across and merged within TCP writes. */
function writeInPieces(s: LineSocket, bytes: Buffer, rnd: Prng): void {
  const cuts = Array.from({ length: rnd.int(0, 5) }, () => rnd.int(1, Math.max(1, bytes.length - 1))).sort((a, b) => a - b);
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > at) s.write(bytes.subarray(at, cut));
    at = Math.max(at, cut);
  }
}

let batches = 0;

/** Runs one batch on a new connection to `port` and judges every answer. */
export async function runBatch(port: number, inputs: BadInput[], opts: BatchOptions): Promise<BatchResult> {
  const n = ++batches;
  const s = await LineSocket.connect(port, '127.0.0.1', sourceAddress(SOURCES.fuzz, n));
  try {
    if (opts.initialize) {
      await s.initialize(`init-${n}`);
      s.received.splice(0);
    }
    const closes = inputs.some((i) => i.closes);
    const endId = `sentinel-${n}`;
    const expected = inputs.flatMap((i) => i.expect);
    const nullCount = expected.filter((e) => e.id === null).length;
    const idKeys = new Set(expected.filter((e) => e.id !== null).map((e) => key(e.id)));
    writeInPieces(s, Buffer.concat([...inputs.map((i) => i.bytes), closes ? Buffer.alloc(0) : sentinel(endId, opts.initialize)]), opts.rnd);

    const all = () => s.received as Message[];
    const done = () =>
      closes
        ? s.closed
        : all().some((m) => m.id === endId) && all().filter((m) => m.id === null).length >= nullCount && all().filter((m) => idKeys.has(key(m.id))).length >= idKeys.size;
    await waitFor('the answers of the batch', done, { timeoutMs: opts.timeoutMs, intervalMs: 20 }).catch(() => undefined);

    const nulls = all().filter((m) => m.id === null && !('notJson' in m));
    const byId = new Map<string, Message[]>();
    const unexpected: string[] = [];
    for (const m of all()) {
      if ('notJson' in m) unexpected.push(describeAnswer(m));
      else if (m.id !== null && m.id !== endId) byId.set(key(m.id), [...(byId.get(key(m.id)) ?? []), m]);
    }
    const verdicts = inputs.map((input): InputVerdict => {
      const problems: string[] = [];
      let rateLimited = 0;
      for (const exp of input.expect) {
        const m = exp.id === null ? nulls.shift() : byId.get(key(exp.id))?.shift();
        if (m?.error?.code === RATE_LIMITED) rateLimited++;
        const why = mismatch(m, exp, opts.allowRateLimit);
        if (why) problems.push(why);
      }
      return { input, problems, rateLimited };
    });
    for (const m of [...nulls, ...[...byId.values()].flat()]) unexpected.push(`unasked answer ${JSON.stringify(m).slice(0, 160)}`);
    if (!closes && !all().some((m) => m.id === endId)) unexpected.push(`the session did not answer its sentinel ${endId} within ${opts.timeoutMs} ms`);
    const closing = verdicts.find((v) => v.input.closes);
    if (closing && !s.closed) closing.problems.push('the connection stayed open after the answer');
    return { verdicts, unexpected };
  } finally {
    s.close();
  }
}
