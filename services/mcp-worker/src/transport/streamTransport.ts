import type { Readable, Writable } from 'node:stream';
import { ErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { SessionRequests } from '../mcp/inflight.js';
import { errorResponse, parseLine, type FramingErrorResponse } from './jsonrpc.js';
import { DRAINING_NOTIFICATION, LineDecoder, RpcCodes, type LineEvent } from '@moodle-mcp/common';

/** How often a half-closed connection with pending answers is probed, ms. */
const PROBE_MS = 250;
/** While draining, a client that ignores the notice is closed after this long without a request, ms. */
const DRAIN_QUIET_MS = 300;

export interface StreamTransportOptions {
  /** Longest accepted line in bytes; a longer one closes the connection. */
  maxLineBytes: number;
  /**
   * Most bytes queued towards a client that does not read its answers; past
   * this the connection is closed so one slow reader cannot grow the heap.
   */
  maxPendingWriteBytes: number;
  /**
   * Most requests of this session being worked on at once. Past it (or while
   * the client is not taking its answers, i.e. the output must drain) the
   * transport stops reading the client's input until an answer goes out, so
   * a client pipelining thousands of requests gets them handled a few at a
   * time, fairly among sessions, instead of all in one turn of the event loop.
   */
  maxUnansweredRequests: number;
  /**
   * Whether closing the transport ends/destroys `output` (a socket: yes;
   * the process's stdout: no, the process exits instead). Default true.
   */
  ownsOutput?: boolean;
  /** Told of each request received (begin) and answered, cancelled or abandoned (end). */
  inflight?: { begin(): void; end(n?: number): void };
  /** Told when the transport stops (true) and starts again (false) reading the input; false also when a paused session closes. */
  onInputPaused?: (paused: boolean) => void;
  /** Called for each framing-level refusal (for logs and metrics). */
  onRefused?: (reason: 'parse_error' | 'invalid_request' | 'invalid_utf8' | 'line_too_long' | 'write_backlog') => void;
}

/**
 * MCP transport over any duplex byte stream: a TCP socket (input and output
 * are the same `net.Socket`) or the process's stdin/stdout.
 *
 * Contract (see the SDK's Transport): `start` attaches the listeners once;
 * `onclose` fires exactly once, on `close()` or when the peer goes away;
 * framing errors are answered on the wire and do not end the session, except
 * an over-long line, which is answered and then closes the connection.
 * When the peer half-closes (EOF, as `echo … | ncat host port` does), the
 * requests already received are answered before the connection is closed.
 */
export class StreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Messages the transport refuses before the session sees them (e.g. requests before initialize). */
  gate?: (message: JSONRPCMessage) => FramingErrorResponse | undefined;

  private readonly decoder: LineDecoder;
  private started = false;
  private closed = false;
  private inputEnded = false;
  private draining = false;
  private quietTimer?: NodeJS.Timeout;
  private probe?: NodeJS.Timeout;
  /** Requests handed to the session and not yet answered. */
  private readonly requests: SessionRequests;
  /** Decoded input not yet handled because the session was busy (at most one read chunk's worth: input is paused meanwhile). */
  private backlog: LineEvent[] = [];
  private paused = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly opts: StreamTransportOptions,
  ) {
    this.decoder = new LineDecoder(opts.maxLineBytes);
    this.requests = new SessionRequests(opts.inflight);
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('StreamTransport already started');
    this.started = true;
    this.input.on('data', this.ondata);
    this.input.on('error', this.onstreamerror);
    this.input.on('end', this.oninputend);
    this.input.on('close', this.onend);
    this.output.on('drain', this.pump);
    if (!this.sameStream) this.output.on('error', this.onstreamerror);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    this.write(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.ownsOutput) this.output.end();
    this.finish();
  }

  /** A socket is both input and output; stdin/stdout are two streams. */
  private get sameStream(): boolean {
    return (this.output as unknown) === this.input;
  }

  private get ownsOutput(): boolean {
    return this.opts.ownsOutput ?? true;
  }

  /** Whether the peer has gone or close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  private write(message: JSONRPCMessage | FramingErrorResponse): void {
    if (this.closed || this.output.writableEnded || this.output.destroyed) return;
    if (this.output.writableLength > this.opts.maxPendingWriteBytes) {
      // The client stopped reading; waiting for 'drain' would hold every later answer in memory.
      this.opts.onRefused?.('write_backlog');
      this.destroy();
      return;
    }
    this.output.write(JSON.stringify(message) + '\n');
    if (this.requests.sent(message)) {
      this.closeIfDone();
      // Input is held back only while there is a backlog (see pump).
      if (this.backlog.length) queueMicrotask(this.pump);
    }
  }

  /** Too busy to take another request: enough unanswered, or answers waiting for the client to read them. */
  private get busy(): boolean {
    return this.requests.size >= this.opts.maxUnansweredRequests || this.output.writableNeedDrain;
  }

  private readonly ondata = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const events = this.decoder.push(bytes);
    this.backlog = this.backlog.length ? this.backlog.concat(events) : events;
    this.pump();
  };

  /** Handles the backlog while the session is not busy; pauses the input when it is, resumes it when the backlog is empty. */
  private readonly pump = (): void => {
    let handled = 0;
    while (handled < this.backlog.length && !this.closed && !this.busy) this.handle(this.backlog[handled++]);
    this.backlog = handled === this.backlog.length ? [] : this.backlog.slice(handled);
    if (this.closed) return;
    const hold = this.backlog.length > 0;
    if (hold && !this.paused) {
      this.paused = true;
      this.input.pause();
      this.opts.onInputPaused?.(true);
    } else if (!hold && this.paused) {
      this.paused = false;
      this.input.resume();
      this.opts.onInputPaused?.(false);
      if (this.inputEnded) this.closeIfDone();
    }
  };

  private handle(event: LineEvent): void {
    switch (event.type) {
      case 'line': {
        const parsed = parseLine(event.text);
        if (!parsed.ok) {
          this.opts.onRefused?.(parsed.response.error.code === ErrorCode.ParseError ? 'parse_error' : 'invalid_request');
          this.write(parsed.response);
          break;
        }
        const refusal = this.gate?.(parsed.message);
        if (refusal) {
          this.opts.onRefused?.('invalid_request');
          this.write(refusal);
          break;
        }
        if (this.draining && 'method' in parsed.message && 'id' in parsed.message) {
          // Not processed, and said so: the client (mcp-connect) may send it again elsewhere, even a write.
          this.write(errorResponse(parsed.message.id, RpcCodes.NOT_PROCESSED, 'This worker is shutting down and did not process the request: reconnect and send it again'));
          this.closeIfDone();
          break;
        }
        if (this.requests.received(parsed.message)) this.closeIfDone();
        this.onmessage?.(parsed.message);
        break;
      }
      case 'invalid_utf8':
        this.opts.onRefused?.('invalid_utf8');
        this.write(errorResponse(null, ErrorCode.ParseError, `Parse error: the line (${event.bytes} bytes) is not valid UTF-8`));
        break;
      case 'overflow':
        this.opts.onRefused?.('line_too_long');
        this.write(errorResponse(null, ErrorCode.InvalidRequest, `Line too long: messages are limited to ${event.limit} bytes; closing the connection`));
        void this.close();
        return;
    }
  }

  private readonly onstreamerror = (err: Error): void => {
    // ECONNRESET and EPIPE are a client going away, not a fault of ours.
    this.onerror?.(err);
    this.destroy();
  };

  /**
   * Shutting down: requests arriving from now on are answered NOT_PROCESSED
   * (never half-done), the ones in progress are answered, and then the
   * connection closes. A client that reconnects lands on another worker.
   */
  drain(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    this.write({ jsonrpc: '2.0', method: DRAINING_NOTIFICATION } as JSONRPCMessage);
    this.closeIfDone();
  }

  /**
   * After the peer's EOF, the last answer closes the connection. While
   * draining, a client that understood the notice half-closes (EOF); one that
   * did not is closed once it has been quiet for DRAIN_QUIET_MS.
   */
  private closeIfDone(): void {
    if (this.requests.size !== 0 || this.backlog.length) return;
    if (this.inputEnded) {
      void this.close();
      return;
    }
    if (!this.draining) return;
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => {
      if (this.requests.size === 0) void this.close();
    }, DRAIN_QUIET_MS);
    this.quietTimer.unref();
  }

  /**
   * EOF from the peer: finish what was asked, then close. TCP cannot tell a
   * half-close (`echo … | ncat`, still reading) from a client that has gone
   * entirely, so while answers are pending a blank line (which the framing
   * ignores) is written every PROBE_MS: to a vanished client it provokes a
   * reset, which closes the session and aborts its Moodle requests.
   */
  private readonly oninputend = (): void => {
    this.inputEnded = true;
    if (this.requests.size === 0 && !this.backlog.length) {
      void this.close();
      return;
    }
    if (this.ownsOutput && !this.probe) {
      this.probe = setInterval(() => {
        if (!this.closed && !this.output.writableEnded) this.output.write('\n');
      }, PROBE_MS);
      this.probe.unref();
    }
  };

  /** The stream is gone (reset, or fully closed). */
  private readonly onend = (): void => {
    this.destroy();
  };

  private destroy(): void {
    if (this.closed) return;
    if (this.ownsOutput) this.output.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.probe);
    clearTimeout(this.quietTimer);
    this.requests.abandon();
    this.input.off('data', this.ondata);
    this.input.off('error', this.onstreamerror);
    this.input.off('end', this.oninputend);
    this.input.off('close', this.onend);
    this.output.off('drain', this.pump);
    this.backlog = [];
    if (this.paused) {
      this.paused = false;
      this.opts.onInputPaused?.(false);
    }
    if (!this.sameStream) this.output.off('error', this.onstreamerror);
    this.onclose?.();
  }
}
