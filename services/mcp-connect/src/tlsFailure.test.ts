import { describeTlsFailure, isTlsAlert } from './tlsFailure';

const error = (code: string, message: string, reason?: string) => Object.assign(new Error(message), { code, reason });

describe('describeTlsFailure', () => {
  it("says what a server's refusal means and keeps OpenSSL's code and reason", () => {
    const e = error(
      'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
      'C0...:error:0A000414:SSL routines:ssl3_read_bytes:sslv3 alert certificate revoked:...',
      'sslv3 alert certificate revoked',
    );
    expect(describeTlsFailure(e)).toBe(
      'TLS handshake failed: the server says this client certificate is revoked: ask for a new one [ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: sslv3 alert certificate revoked]',
    );
    expect(isTlsAlert(e)).toBe(true);
  });

  it("points at --ssl-trustfile when the server's certificate is not trusted, and --ssl-servername when it names another host", () => {
    expect(describeTlsFailure(error('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'))).toMatch(
      /--ssl-trustfile \[UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate\]$/,
    );
    expect(describeTlsFailure(error('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"))).toMatch(/--ssl-servername/);
    expect(isTlsAlert(error('ECONNREFUSED', 'connect ECONNREFUSED'))).toBe(false);
  });

  it('names an alert it has no words for as a refused handshake, and anything else by its message', () => {
    expect(describeTlsFailure(error('ERR_SSL_TLSV1_ALERT_ACCESS_DENIED', 'x', 'tlsv1 alert access denied'))).toBe(
      'TLS handshake failed: the server refused the handshake [ERR_SSL_TLSV1_ALERT_ACCESS_DENIED: tlsv1 alert access denied]',
    );
    expect(describeTlsFailure(new Error('something odd'))).toBe('TLS handshake failed: see the detail [something odd]');
  });
});
