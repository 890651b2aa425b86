/**
 * Newline-delimited framing, pure: bytes in, events out; no sockets, no logs.
 *
 * - A line ends at `\n`; one trailing `\r` is removed (`\r\n` accepted).
 * - Blank lines are skipped (some clients send a keep-alive newline).
 * - Each line must be valid UTF-8 (checked on the whole line, so a character
 *   split across chunks is fine).
 * - A line longer than `maxLineBytes` (without its terminator) is an overflow:
 *   the decoder reports it once and then refuses further input, because the
 *   rest of the stream cannot be re-synchronised safely.
 */
export type LineEvent = { type: 'line'; text: string } | { type: 'invalid_utf8'; bytes: number } | { type: 'overflow'; limit: number };

const NEWLINE = 0x0a;
const CR = 0x0d;

export class LineDecoder {
  private chunks: Buffer[] = [];
  private pending = 0;
  private failed = false;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  constructor(readonly maxLineBytes: number) {}

  /** Bytes held while waiting for the rest of a line. */
  get bufferedBytes(): number {
    return this.pending;
  }

  push(chunk: Buffer): LineEvent[] {
    if (this.failed) return [];
    const events: LineEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) break;
      const lineLength = this.pending + (nl - start);
      if (lineLength > this.maxLineBytes + 1) return this.overflow(events);
      const part = chunk.subarray(start, nl);
      const line = this.pending ? Buffer.concat([...this.chunks, part], lineLength) : part;
      this.chunks = [];
      this.pending = 0;
      start = nl + 1;
      const event = this.decode(line);
      if (event) events.push(event);
      if (this.failed) return events;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (this.pending + rest.length > this.maxLineBytes + 1) return this.overflow(events);
      // Copy: the caller may reuse its buffer, and a small slice must not pin a large one.
      this.chunks.push(Buffer.from(rest));
      this.pending += rest.length;
    }
    return events;
  }

  private decode(raw: Buffer): LineEvent | undefined {
    const line = raw.length && raw[raw.length - 1] === CR ? raw.subarray(0, raw.length - 1) : raw;
    if (line.length > this.maxLineBytes) return this.overflowEvent();
    if (line.every((b) => b === 0x20 || b === 0x09)) return undefined;
    try {
      return { type: 'line', text: this.utf8.decode(line) };
    } catch {
      return { type: 'invalid_utf8', bytes: line.length };
    }
  }

  private overflow(events: LineEvent[]): LineEvent[] {
    events.push(this.overflowEvent());
    return events;
  }

  private overflowEvent(): LineEvent {
    this.failed = true;
    this.chunks = [];
    this.pending = 0;
    return { type: 'overflow', limit: this.maxLineBytes };
  }
}
