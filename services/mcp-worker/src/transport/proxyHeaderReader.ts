import type net from 'node:net';
import { ProxyHeaderDecoder, type ProxyHeader, type ProxyHeaderMode } from '@moodle-mcp/common';

/** `peerGone`: the connection ended or broke first (nothing to answer). */
export type ProxyHeaderOutcome = { ok: true; header?: ProxyHeader } | { ok: false; reason: string; peerGone?: boolean };

/**
 * Reads the PROXY protocol v2 header at the start of `socket` (parsing is
 * ProxyHeaderDecoder's). On success the socket is left paused with the bytes
 * that followed the header put back, so the transport reads them first; the
 * caller resumes it once the transport listens. Fails on a refused header,
 * on a socket that ends first, and after `timeoutMs` without a decision
 * (counted from the connect when required, else from a partial header: a
 * direct client that is silent is an idle session like any other).
 */
export function readProxyHeader(socket: net.Socket, mode: ProxyHeaderMode, timeoutMs: number): Promise<ProxyHeaderOutcome> {
  const decoder = new ProxyHeaderDecoder(mode);
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: ProxyHeaderOutcome) => {
      clearTimeout(timer);
      socket.off('data', ondata);
      socket.off('end', onend);
      socket.off('close', onend);
      resolve(outcome);
    };
    const arm = () => {
      timer ??= setTimeout(() => finish({ ok: false, reason: `no complete PROXY protocol header within ${timeoutMs} ms` }), timeoutMs);
    };
    const ondata = (chunk: Buffer) => {
      const r = decoder.push(chunk);
      if (r.state === 'more') return arm();
      socket.pause();
      if (r.state === 'refused') return finish({ ok: false, reason: r.reason });
      if (r.rest.length) socket.unshift(r.rest);
      finish({ ok: true, header: r.header });
    };
    const onend = () => finish({ ok: false, reason: 'the connection ended before its PROXY protocol header', peerGone: true });
    if (mode === 'required') arm();
    socket.on('data', ondata);
    socket.on('end', onend);
    socket.on('close', onend);
  });
}
