#!/usr/bin/env node
/**
 * "The transport's limit": a trivial newline-delimited JSON-RPC server. One
 * process; every request line is answered at once with a result of a fixed
 * size (the size of a cached get_courses answer, measured by the benchmark),
 * notifications get nothing, a line that is not JSON gets -32700. No MCP, no
 * Moodle, no cache: what is left is TCP, HAProxy, framing and JSON.
 *
 * Usage: node bench/dist/echoServer.js --port P [--reply-bytes N]
 * Stops on SIGTERM/SIGINT (open connections are cut).
 */
import net from 'node:net';
import { int, runScript, type Parsed } from './args.js';
import { LineSplitter } from './lines.js';

const OPTIONS = {
  port: int(0, 0, 65535, 'TCP port on 127.0.0.1 (0: any free port, printed on stdout)'),
  'reply-bytes': int(2000, 100, 16 * 1024 * 1024, 'size of every answer line, newline included'),
};

const pads = new Map<number, string>();

/** The answer line to one request line, exactly `bytes` long with its newline ('' for a notification). */
export function echoAnswer(line: string, bytes: number): string {
  let id: unknown;
  try {
    const msg = JSON.parse(line) as { id?: unknown };
    if (msg.id === undefined) return '';
    id = msg.id;
  } catch {
    return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }) + '\n';
  }
  const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"`;
  const tail = '"}]}}\n';
  const n = Math.max(0, bytes - head.length - tail.length);
  let pad = pads.get(n);
  if (pad === undefined) pads.set(n, (pad = 'x'.repeat(n)));
  return head + pad + tail;
}

async function main(o: Parsed<typeof OPTIONS>): Promise<void> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    const lines = new LineSplitter();
    socket.on('data', (chunk: string) => {
      let out = '';
      for (const line of lines.push(chunk)) out += echoAnswer(line, o['reply-bytes']);
      if (out) socket.write(out);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  process.stdout.write(JSON.stringify({ listening: (server.address() as net.AddressInfo).port, replyBytes: o['reply-bytes'] }) + '\n');
  const shutdown = () => {
    for (const s of sockets) s.destroy();
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

if (require.main === module) runScript('echo server', 'echoServer.js', 'A trivial NDJSON JSON-RPC server: the limit of the transport.', OPTIONS, main);
