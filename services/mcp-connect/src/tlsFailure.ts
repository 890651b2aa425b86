/**
 * Why a TLS handshake failed, in words a teacher can act on. Pure: Node's
 * error in, one sentence out; no sockets, no logs.
 *
 * The codes are Node's: `ERR_SSL_*` for OpenSSL errors (a server's alert is
 * `ERR_SSL_<version>_ALERT_<name>`, e.g. HAProxy refusing a missing, unknown
 * or revoked client certificate), OpenSSL's verification codes for the check
 * of the server's certificate (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, ...), and
 * `ERR_TLS_CERT_ALTNAME_INVALID` for a certificate naming another server.
 */

const UNTRUSTED = "the server's certificate is not signed by a CA this computer trusts: give the stack's CA with --ssl-trustfile";
const REFUSED_CERT = 'the server refused this client certificate (is it signed by the CA the server trusts?)';

const HINTS: Record<string, string> = {
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the server requires a client certificate: give one with --ssl-cert and --ssl-key',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: 'the server says this client certificate is revoked: ask for a new one',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'the server says this client certificate has expired: ask for a new one',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the server does not trust the CA that signed this client certificate',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: REFUSED_CERT,
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: REFUSED_CERT,
  ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE: REFUSED_CERT,
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'the server refused the handshake (a client certificate missing or refused, or no TLS version in common)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS on this port (is it the plain port, 3000, rather than the TLS port, 3443?)',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'the server does not speak TLS on this port (is it the plain port, 3000, rather than the TLS port, 3443?)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNTRUSTED,
  SELF_SIGNED_CERT_IN_CHAIN: UNTRUSTED,
  DEPTH_ZERO_SELF_SIGNED_CERT: UNTRUSTED,
  CERT_SIGNATURE_FAILURE: UNTRUSTED,
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet (is this computer's clock right?)",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate does not name the server as dialled: dial a name it lists, or give that name with --ssl-servername",
  ECONNRESET: 'the server closed the connection during the handshake (it may have refused this client or its certificate)',
};

export function describeTlsFailure(err: Error & { code?: string; reason?: string }): string {
  const code = err.code ?? '';
  const hint = HINTS[code] ?? (/^ERR_SSL_.*_ALERT_/.test(code) ? 'the server refused the handshake' : undefined);
  // OpenSSL's short reason ("tlsv13 alert certificate required") reads better than its full message.
  const detail = typeof err.reason === 'string' && err.reason ? err.reason : err.message;
  return `TLS handshake failed: ${hint ?? 'see the detail'} [${code ? `${code}: ` : ''}${detail}]`;
}

/**
 * Whether an error on a TLS connection whose handshake had completed is
 * still the handshake's: under TLS 1.3 the client finishes its side first,
 * and a server refusing the client certificate says so in an alert after.
 */
export function isTlsAlert(err: Error & { code?: string }): boolean {
  return /^ERR_SSL_/.test(err.code ?? '');
}
