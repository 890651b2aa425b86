/**
 * Clients that misbehave with the connection rather than the bytes: they send
 * slowly, half-close, stop reading, or connect and say nothing. Each returns
 * what it saw so the suite can hold it against the README's promises.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { LineSocket } from '../helpers/lineSocket.js';
import { waitFor } from '../helpers/wait.js';

type Message = Record<string, any>;

/**
 * Source address number `i` of the loopback block 127.`block`.0.0/16 (Linux
 * answers all of 127/8 on lo). The suite's clients are many, as a school's
 * are: spread over addresses they stay under HAProxy's per-address limits,
 * which are not what this suite measures.
 */
export function sourceAddress(block: number, i: number): string {
  return `127.${block}.${1 + (Math.floor(i / 250) % 250)}.${1 + (i % 250)}`;
}

/** Source blocks: idle connections, the fuzz campaign, the other abusive clients. */
export const SOURCES = { idle: 1, fuzz: 2, abuse: 3 } as const;
let abusers = 0;
/** Every socket the abusive clients opened, so a run that fails half-way still closes them all. */
const live = new Set<{ destroy(): void }>();
let aborted = false;

async function connectAbuser(port: number): Promise<LineSocket> {
  const s = await LineSocket.connect(port, '127.0.0.1', sourceAddress(SOURCES.abuse, abusers++));
  live.add(s.socket);
  s.socket.once('close', () => live.delete(s.socket));
  return s;
}

/** Stops every drip and closes every connection the abusive clients still hold (afterAll). */
export function closeAbusers(): void {
  aborted = true;
  for (const s of live) s.destroy();
  live.clear();
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Tried and as-expected counts of one kind of abuse, with a few examples of what went wrong. */
export interface AbuseTally {
  tried: number;
  asExpected: number;
  examples: string[];
}

export const newTally = (): AbuseTally => ({ tried: 0, asExpected: 0, examples: [] });

function judge(t: AbuseTally, problem: string | undefined): void {
  t.tried++;
  if (!problem) t.asExpected++;
  else if (t.examples.length < 5) t.examples.push(problem);
}

const INITIALIZE = (id: string) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'abuse', version: '1' } } }) + '\n';
const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n';
const request = (id: string, method: string, params?: unknown) => JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const answerTo = (s: LineSocket, id: string) => (s.received as Message[]).find((m) => m.id === id);
const describe = (m: Message | undefined) => (m === undefined ? 'no answer' : JSON.stringify(m).slice(0, 160));

export interface SlowSenders {
  /** Ends the never-ending senders (they then finish their line) and judges every sender. */
  finish(timeoutMs: number): Promise<{ complete: AbuseTally; endless: AbuseTally }>;
}

/**
 * Slowloris: `count` connections that drip their bytes one at a time every
 * `tickMs`. Half of them send a whole handshake and a ping that way; the other
 * half keep one line open (a ping padded by the drip) until `finish`, then end
 * it. Every one must be answered as if it had been sent at once.
 */
export async function startSlowSenders(port: number, count: number, tickMs: number, deadline: number): Promise<SlowSenders> {
  const sockets = await Promise.all(Array.from({ length: count }, () => connectAbuser(port).catch(errorText)));
  let stopped = false;
  const drips = sockets.map(async (s, i) => {
    if (typeof s === 'string') return;
    const endless = i % 2 === 1;
    const bytes = endless ? `{"jsonrpc":"2.0","id":"slow-${i}","method":"ping","params":{"pad":"` : INITIALIZE(`slow-init-${i}`) + INITIALIZED + request(`slow-${i}`, 'ping');
    // Spread the start so the drips do not all tick together.
    await sleep((tickMs * i) / count);
    for (let at = 0; (endless ? !stopped : at < bytes.length) && Date.now() < deadline && !s.closed && !aborted; at++) {
      s.write(endless && at >= bytes.length ? 'x' : bytes[at]!);
      await sleep(tickMs);
    }
    if (endless) s.write('"}}\n' + INITIALIZE(`slow-init-${i}`) + INITIALIZED);
  });
  return {
    async finish(timeoutMs) {
      stopped = true;
      await Promise.all(drips);
      const complete = newTally();
      const endless = newTally();
      await Promise.all(
        sockets.map(async (s, i) => {
          if (typeof s === 'string') return judge(i % 2 ? endless : complete, `slow sender ${i} could not connect: ${s}`);
          const ok = () => ['result' in (answerTo(s, `slow-${i}`) ?? {}), 'result' in (answerTo(s, `slow-init-${i}`) ?? {})].every(Boolean);
          await waitFor(`slow sender ${i}`, ok, { timeoutMs }).catch(() => undefined);
          judge(i % 2 ? endless : complete, ok() ? undefined : `slow sender ${i}: ping ${describe(answerTo(s, `slow-${i}`))}, initialize ${describe(answerTo(s, `slow-init-${i}`))}`);
          s.close();
        }),
      );
      return { complete, endless };
    },
  };
}

/**
 * Half-closed connections (EOF from the client while it still reads):
 * requests sent before the EOF are answered, then the worker closes; a
 * connection that sent nothing, or half a line, is just closed.
 */
export async function halfOpen(port: number, count: number, timeoutMs: number): Promise<AbuseTally> {
  const tally = newTally();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const s = await connectAbuser(port).catch(errorText);
      if (typeof s === 'string') return judge(tally, `half-open #${i} could not connect: ${s}`);
      const kind = i % 4;
      try {
        if (kind === 0) s.write(INITIALIZE('h-init') + INITIALIZED + request('h-call', 'tools/call', { name: 'get_courses', arguments: { perPage: 2 } }) + request('h-ping', 'ping'));
        if (kind === 1) s.write('{"jsonrpc":"2.0","id":"h-half",');
        if (kind === 3) s.write(request('h-call', 'tools/call', { name: 'get_site_info', arguments: {} }));
        s.socket.end();
        const closed = await s.waitClosed(timeoutMs).catch(() => false);
        const got = s.received as Message[];
        const problem =
          !closed
            ? 'the worker did not close the half-closed connection'
            : kind === 0 && !(got.length === 3 && got.every((m) => 'result' in m && !m.result.isError))
              ? `requests before EOF: expected 3 results, got ${got.map(describe).join(' | ')}`
              : kind === 3 && !(got.length === 1 && got[0]!.error?.code === -32600)
                ? `a request before initialize, then EOF: expected -32600, got ${got.map(describe).join(' | ')}`
                : (kind === 1 || kind === 2) && got.some((m) => m.error?.code !== -32700)
                  ? `half a line or nothing, then EOF: expected no answer, got ${got.map(describe).join(' | ')}`
                  : undefined;
        judge(tally, problem ? `half-open #${i}: ${problem}` : undefined);
      } finally {
        s.close();
      }
    }),
  );
  return tally;
}

/** Connections reset (RST) right after sending a request, while the worker works on it. Nothing to judge but that nothing crashes. */
export async function resetMidCall(port: number, count: number): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, async () => {
      const s = await connectAbuser(port).catch(() => undefined);
      if (!s) return;
      s.write(INITIALIZE('r-init') + INITIALIZED + request('r-call', 'tools/call', { name: 'get_courses', arguments: {} }));
      s.socket.resetAndDestroy();
    }),
  );
}

export interface NonReader {
  /** The connection, or why it could not be set up. */
  socket: LineSocket | string;
  requests: number;
}

/**
 * Clients that pipeline `requests` big answers (tools/list) and never read:
 * the worker must stop reading their input (its requests wait in the
 * client's own socket) or drop them once MAX_PENDING_WRITE_BYTES are
 * waiting, never hold every answer in memory.
 */
export async function startNonReaders(port: number, count: number, requests: number): Promise<NonReader[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      try {
        const s = await connectAbuser(port);
        await s.initialize(`nr-init-${i}`);
        s.socket.pause();
        s.write(Array.from({ length: requests }, (_, k) => request(`nr-${k}`, 'tools/list')).join(''));
        return { socket: s, requests };
      } catch (err) {
        return { socket: `could not connect and initialize: ${errorText(err)}`, requests };
      }
    }),
  );
}

/**
 * Reads what the non-readers had queued, now that they read: each gets an
 * answer to every request (a tools/list result, or -32029 from the rate
 * limit) on its open connection, since the worker only paused it; or it was
 * closed by the worker (dropped at MAX_PENDING_WRITE_BYTES) before all came.
 */
export async function judgeNonReaders(readers: NonReader[], timeoutMs: number): Promise<AbuseTally> {
  const tally = newTally();
  await Promise.all(
    readers.map(async ({ socket: s, requests }, i) => {
      if (typeof s === 'string') return judge(tally, `non-reader #${i}: ${s}`);
      const answers = () => (s.received as Message[]).filter((m) => String(m.id).startsWith('nr-') && !String(m.id).startsWith('nr-init'));
      s.socket.resume();
      await waitFor('every answer, or the connection closed', () => s.closed || answers().length >= requests, { timeoutMs }).catch(() => undefined);
      const got = answers();
      const wrong = got.filter((m) => !(m.error?.code === -32029 || Array.isArray((m.result as { tools?: unknown } | undefined)?.tools)));
      const complete = !s.closed && got.length === requests && wrong.length === 0;
      const dropped = s.closed && got.length < requests;
      judge(
        tally,
        complete || dropped ? undefined : `non-reader #${i}: ${s.closed ? 'closed' : 'still open'} after ${got.length} of ${requests} answers${wrong.length ? `, ${wrong.length} of them neither a result nor -32029` : ''}`,
      );
      s.close();
    }),
  );
  return tally;
}

/** The soft limit on this process's open files (Linux /proc/self/limits). */
export function openFilesLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

/**
 * How many idle connections this process can hold beside `spare` other
 * descriptors: `wanted`, or fewer with the reason. Node cannot raise its own
 * limit (no setrlimit); scripts/test-security.sh raises the soft limit to
 * the hard one before it starts.
 */
export function idleBudget(wanted: number, spare = 2_000): { count: number; note?: string } {
  const limit = openFilesLimit();
  if (limit - spare >= wanted) return { count: wanted };
  const count = Math.max(0, limit - spare);
  return { count, note: `scaled down from ${wanted} to ${count}: the open-files limit is ${limit} (raise it with ulimit -n)` };
}

export interface IdleConnections {
  sockets: net.Socket[];
  /** Connections that were refused or failed to open. */
  failed: string[];
  closeAll(): void;
}

/**
 * `count` connections that stay open and silent, `perSource` from each
 * source address; every other one initializes first. Opened `parallel` at a time.
 */
export async function openIdle(port: number, count: number, perSource: number, parallel: number): Promise<IdleConnections> {
  const sockets: net.Socket[] = [];
  const failed: string[] = [];
  const open = (i: number) =>
    new Promise<void>((resolve) => {
      const localAddress = sourceAddress(SOURCES.idle, Math.floor(i / perSource));
      const s = net.connect({ host: '127.0.0.1', port, localAddress });
      s.setTimeout(20_000, () => s.destroy(new Error('connect/initialize took over 20 s')));
      s.once('error', (err) => {
        if (failed.length < 1000) failed.push(`${localAddress}: ${err.message}`);
        resolve();
      });
      s.once('connect', () => {
        sockets.push(s);
        live.add(s);
        if (i % 2) {
          s.setTimeout(0);
          return resolve();
        }
        s.write(INITIALIZE(`idle-${i}`) + INITIALIZED);
        s.once('data', () => {
          s.setTimeout(0);
          resolve();
        });
      });
      // After the handshake nothing more is read; the answer was small.
    });
  for (let i = 0; i < count; i += parallel) await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, (_, k) => open(i + k)));
  return {
    sockets,
    failed,
    closeAll: () => sockets.forEach((s) => s.destroy()),
  };
}
