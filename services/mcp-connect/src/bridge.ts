import { EventEmitter } from 'node:events';
import type net from 'node:net';
import tls from 'node:tls';
import { DRAINING_NOTIFICATION, LineDecoder, RpcCodes } from '@moodle-mcp/common';
import { key, parse, type Message } from './jsonRpc.js';
import { describeTlsFailure, isTlsAlert } from './tlsFailure.js';

/**
 * A reconnecting stdio ↔ TCP bridge for one MCP session, used in place of
 * `ncat HOST PORT` in an MCP client's configuration.
 *
 * Contract:
 * - Lines pass through unchanged in both directions while the connection holds.
 * - The bridge remembers the client's `initialize` request and whether it sent
 *   `notifications/initialized`. When the connection drops, it reconnects
 *   (through the VIP, so HAProxy picks a live worker) and replays that
 *   handshake itself; its answer is not shown to the client.
 * - Requests in flight when the connection dropped are re-sent if they are
 *   safe to repeat: every method but `tools/call`, and `tools/call` of a tool
 *   whose `readOnlyHint` the server announced (learned from `tools/list`
 *   answers passing by, and from a `tools/list` of its own after a replay).
 *   Any other call in flight is answered with a JSON-RPC error saying it may
 *   or may not have been applied — it is never silently repeated.
 * - A request the server answers NOT_PROCESSED (-32004: a worker shutting
 *   down) is kept and sent again after reconnecting, write or not: the
 *   server says it never ran it.
 * - When the server announces it drains (DRAINING_NOTIFICATION), the bridge
 *   stops writing to it and half-closes; the answers still arrive; then it
 *   moves to another worker. No request can cross the worker's close.
 * - Lines the client sends while reconnecting are queued (bounded) and sent
 *   after the replay, in order.
 * - When reconnecting fails for `maxReconnectMs`, every pending request is
 *   answered with an error saying why (e.g. the TLS handshake failed, and
 *   how) and the bridge ends ('end' event, code 1).
 * - A connection counts as working once it is connected (a TLS one: its
 *   handshake done) and the server has answered on it, or was never asked
 *   anything. One that fails before that -- refused, a TLS handshake the
 *   server refuses (under TLS 1.3 its alert comes after the client's side of
 *   the handshake), closed before its first answer -- does not end the
 *   outage: retries back off and give up after `maxReconnectMs` in all.
 */
export interface BridgeOptions {
  /** Opens a connection to the server: a tls.TLSSocket is connected at 'secureConnect', any other at 'connect'. */
  connect: () => net.Socket;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  /** Give up after reconnecting fails for this long, ms. */
  maxReconnectMs: number;
  maxLineBytes?: number;
  /** Most bytes queued from the client while reconnecting. */
  maxQueuedBytes?: number;
}

interface Pending {
  line: string;
  method: string;
  tool?: string;
  /** The server said it did not process it (shutting down): always safe to send again. */
  notProcessed?: boolean;
}

/** One connection attempt, as far as it went. */
interface Attempt {
  tls: boolean;
  /** Connected (a TLS socket: handshake done). */
  ready: boolean;
  /** The bridge wrote a line on it. */
  asked: boolean;
  /** The server sent a line on it. */
  answered: boolean;
  /** Why it failed, when that is known: a TLS handshake refused or not trusted. */
  failure?: string;
  /** The socket's last other error (ECONNREFUSED, ...). */
  error?: string;
}

const INTERNAL = 'mcp-connect:';

export class Bridge extends EventEmitter {
  private socket?: net.Socket;
  private current?: Attempt;
  /** The last known reason connecting failed, for the answers when giving up. */
  private lastFailure?: string;
  /** `closing`: the server said it drains; nothing more is sent on this connection. */
  private state: 'connecting' | 'replaying' | 'open' | 'closing' | 'closed' = 'connecting';
  private initialize?: string;
  private initialized = false;
  private readonly pending = new Map<string, Pending>();
  private readonly readOnlyTools = new Set<string>();
  private queue: string[] = [];
  private queuedBytes = 0;
  private inputEnded = false;
  private retries = 0;
  private downSince = 0;
  private internalSeq = 0;
  private readonly maxLineBytes: number;

  constructor(private readonly opts: BridgeOptions) {
    super();
    this.maxLineBytes = opts.maxLineBytes ?? 16 * 1024 * 1024;
  }

  start(): void {
    const decoder = new LineDecoder(this.maxLineBytes);
    this.opts.input.on('data', (chunk: Buffer) => {
      for (const e of decoder.push(chunk)) if (e.type === 'line') this.fromClient(e.text);
    });
    this.opts.input.on('end', () => {
      this.inputEnded = true;
      this.finishIfIdle();
    });
    this.open(false);
  }

  private open(isReconnect: boolean): void {
    this.state = isReconnect ? 'connecting' : this.state;
    const socket = this.opts.connect();
    const isTls = socket instanceof tls.TLSSocket;
    const attempt: Attempt = { tls: isTls, ready: false, asked: false, answered: false };
    let tcpUp = false;
    this.socket = socket;
    this.current = attempt;
    const decoder = new LineDecoder(this.maxLineBytes);
    socket.setNoDelay(true);
    socket.on('connect', () => (tcpUp = true));
    socket.on(isTls ? 'secureConnect' : 'connect', () => {
      attempt.ready = true;
      if (isReconnect) this.replay();
      else this.becomeOpen();
    });
    socket.on('data', (chunk: Buffer) => {
      for (const e of decoder.push(chunk)) {
        if (e.type !== 'line') continue;
        if (!attempt.answered) {
          attempt.answered = true;
          this.lastFailure = undefined;
        }
        this.fromServer(e.text);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (isTls && ((tcpUp && !attempt.ready) || isTlsAlert(err)) && !attempt.answered) attempt.failure = describeTlsFailure(err);
      else {
        attempt.error = err.code ?? err.message;
        this.opts.log(isReconnect || this.state !== 'open' ? 'info' : 'warn', 'connection error', { error: attempt.error });
      }
    });
    socket.on('close', () => {
      if (this.socket !== socket || this.state === 'closed') return;
      if (this.inputEnded && this.pending.size === 0) return this.end(0);
      this.lost(attempt);
    });
  }

  /** The connection dropped or could not be made: reconnect with capped backoff until `maxReconnectMs`. */
  private lost(attempt: Attempt): void {
    const working = attempt.ready && !attempt.failure && (attempt.answered || !attempt.asked);
    if (working) {
      this.downSince = Date.now();
      this.retries = 0;
      this.opts.log('warn', 'connection lost; reconnecting', { inFlight: this.pending.size });
    } else if (!this.downSince) this.downSince = Date.now();
    if (attempt.failure) {
      // Said once per reason and outage: retries with the same refusal only at 'info'.
      this.opts.log(attempt.failure === this.lastFailure ? 'info' : 'error', attempt.failure);
      this.lastFailure = attempt.failure;
    } else if (attempt.ready && !working) {
      this.lastFailure = attempt.tls
        ? 'the server closed the connection after the TLS handshake, before answering (it may have refused this client certificate)'
        : 'the server closed the connection before answering';
    } else if (!attempt.ready && attempt.error) this.lastFailure = `connecting failed (${attempt.error})`;
    this.state = 'connecting';
    if (Date.now() - this.downSince >= this.opts.maxReconnectMs) {
      this.opts.log('error', 'giving up: the server cannot be reached', { afterMs: Date.now() - this.downSince, lastFailure: this.lastFailure });
      const why = `the MCP server cannot be reached${this.lastFailure ? `: ${this.lastFailure}` : ''} (mcp-connect gave up reconnecting after ${Math.round(this.opts.maxReconnectMs / 1000)} s)`;
      for (const [k, p] of this.pending) this.answerError(k, p, -32000, why);
      // Requests sent while reconnecting never left: answer those too.
      for (const line of this.queue) {
        const msg = parse(line);
        if (msg?.id !== undefined && msg.id !== null && typeof msg.method === 'string')
          this.write(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32000, message: why } }));
      }
      this.queue = [];
      return this.end(1);
    }
    const delay = Math.min(50 * 2 ** this.retries++, 1000);
    setTimeout(() => this.open(true), delay).unref();
  }

  private replay(): void {
    if (!this.initialize) return this.becomeOpen(); // nothing to replay: the client had not started yet
    if ([...this.pending.values()].some((p) => p.method === 'initialize')) {
      // The client's own handshake was unanswered: nothing was applied yet, so
      // its lines go again as they were and it sees the answers itself.
      for (const p of this.pending.values()) this.sendRaw(p.line);
      return this.becomeOpen();
    }
    this.state = 'replaying';
    const init = JSON.parse(this.initialize) as { params?: unknown };
    this.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: `${INTERNAL}init:${++this.internalSeq}`, method: 'initialize', params: init.params }));
  }

  private afterReplayedInitialize(): void {
    if (this.initialized) this.sendRaw(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    this.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: `${INTERNAL}tools:${++this.internalSeq}`, method: 'tools/list' }));
    let resent = 0;
    for (const [key, p] of this.pending) {
      if (this.safeToRepeat(p)) {
        this.sendRaw(p.line);
        resent++;
      } else {
        this.answerError(
          key,
          p,
          RpcCodes.MAYBE_APPLIED,
          `the connection to the MCP server was lost while "${p.tool ?? p.method}" was running: it may or may not have been applied. Check its effect (e.g. read the grade back) before trying again.`,
        );
      }
    }
    this.opts.log('info', 'reconnected; session restored', { resent });
    this.becomeOpen();
  }

  private becomeOpen(): void {
    this.state = 'open';
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const line of queued) this.forward(line);
  }

  private fromClient(line: string): void {
    if (this.state !== 'open') {
      this.queuedBytes += line.length;
      if (this.queuedBytes > (this.opts.maxQueuedBytes ?? 8 * 1024 * 1024)) {
        this.opts.log('error', 'too much queued while reconnecting; ending');
        return this.end(1);
      }
      this.queue.push(line);
      return;
    }
    this.forward(line);
  }

  private forward(line: string): void {
    const msg = parse(line);
    if (msg && typeof msg.method === 'string') {
      if (msg.method === 'initialize' && msg.id !== undefined) this.initialize = line;
      if (msg.method === 'notifications/initialized') this.initialized = true;
      if (msg.id !== undefined && msg.id !== null) {
        const tool = msg.method === 'tools/call' && typeof msg.params?.name === 'string' ? msg.params.name : undefined;
        this.pending.set(key(msg.id), { line, method: msg.method, tool });
      }
    }
    this.sendRaw(line);
  }

  private fromServer(line: string): void {
    const msg = parse(line);
    const id = msg?.id;
    if (msg?.method === DRAINING_NOTIFICATION) {
      // The worker is going away: what is pending gets answered; new lines wait for the next connection.
      if (this.state === 'open') {
        this.state = 'closing';
        this.socket?.end();
        this.opts.log('info', 'the server drains; moving to another worker', { inFlight: this.pending.size });
      }
      return;
    }
    if (typeof id === 'string' && id.startsWith(INTERNAL)) {
      if (id.includes(':init:')) {
        if (msg?.error) {
          this.opts.log('error', 'the server refused the replayed initialize', { error: msg.error.message });
          return this.end(1);
        }
        this.afterReplayedInitialize();
      } else this.learnTools(msg);
      return;
    }
    if (id !== undefined && id !== null && msg?.error?.code === RpcCodes.NOT_PROCESSED && this.pending.has(key(id))) {
      // The worker is going away and did not process it: send it again after reconnecting.
      this.pending.get(key(id))!.notProcessed = true;
      return;
    }
    if (id !== undefined && id !== null && (msg?.result !== undefined || msg?.error !== undefined)) {
      const p = this.pending.get(key(id));
      this.pending.delete(key(id));
      if (p?.method === 'tools/list') this.learnTools(msg);
    }
    this.write(line);
    this.finishIfIdle();
  }

  private learnTools(msg: Message | undefined): void {
    const tools = msg?.result?.tools;
    if (!Array.isArray(tools)) return;
    for (const t of tools) {
      if (typeof t?.name !== 'string') continue;
      if (t.annotations?.readOnlyHint === true) this.readOnlyTools.add(t.name);
      else this.readOnlyTools.delete(t.name);
    }
  }

  private safeToRepeat(p: Pending): boolean {
    if (p.notProcessed) return true;
    if (p.method !== 'tools/call') return p.method !== 'initialize';
    return p.tool !== undefined && this.readOnlyTools.has(p.tool);
  }

  private answerError(k: string, p: Pending, code: number, message: string): void {
    this.pending.delete(k);
    const id = parse(p.line)?.id;
    this.write(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }));
  }

  private sendRaw(line: string): void {
    if (this.current) this.current.asked = true;
    this.socket?.write(line + '\n');
  }

  private write(line: string): void {
    this.opts.output.write(line + '\n');
  }

  private finishIfIdle(): void {
    if (this.inputEnded && this.pending.size === 0 && this.queue.length === 0 && this.state === 'open') this.socket?.end();
  }

  private end(code: number): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket?.destroy();
    this.emit('end', code);
  }
}
