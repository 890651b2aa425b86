import net from 'node:net';
import tls from 'node:tls';
import type { Config } from './config.js';

/**
 * How the bridge opens each connection, the first and every reconnect: plain
 * TCP, or TLS with the configuration's CA, client certificate and key (read
 * once) and the server's certificate always verified against `verifyName`.
 * The bridge treats a TLS socket as connected at 'secureConnect'.
 */
export function dialer({ host, port, tls: t }: Pick<Config, 'host' | 'port' | 'tls'>): () => net.Socket {
  if (!t) return () => net.connect({ host, port });
  // SNI carries names only (RFC 6066); an address is still checked against the certificate's IP entries.
  const servername = net.isIP(t.verifyName) ? undefined : t.verifyName;
  return () =>
    tls.connect({
      host,
      port,
      secureContext: t.secureContext,
      servername,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(t.verifyName, cert),
    });
}
