/**
 * Newline-delimited framing for the load generator and the echo server:
 * text chunks in, complete lines out (a trailing `\r` removed, blank lines
 * skipped). Pure: no sockets. Deliberately minimal -- the worker's own framing
 * (size limits, UTF-8 checks) is what is being measured, not this.
 */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const parts = (this.rest + chunk).split('\n');
    this.rest = parts.pop()!;
    return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l.trim() !== '');
  }
}
