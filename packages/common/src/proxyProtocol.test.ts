import { encodeProxyV2, ProxyHeaderDecoder, PROXY_V2_SIGNATURE, type ProxyDecodeResult } from './proxyProtocol.js';

/**
 * Feeds `bytes` in pieces of `size` bytes, as a socket would, until decided;
 * a `done` result's `rest` then includes the pieces not fed yet.
 */
function feed(d: ProxyHeaderDecoder, bytes: Buffer, size: number): ProxyDecodeResult {
  let r: ProxyDecodeResult = { state: 'more' };
  for (let at = 0; at < bytes.length; at += size) {
    r = d.push(bytes.subarray(at, at + size));
    if (r.state === 'done') return { ...r, rest: Buffer.concat([r.rest, bytes.subarray(at + size)]) };
    if (r.state === 'refused') return r;
  }
  return r;
}

/** What HAProxy 2.6 sent a server with `send-proxy-v2 proxy-v2-options ssl,cert-cn` for a plain TCP client, followed by its "hi\n". */
const HAPROXY_PLAIN = Buffer.from('0d0a0d0a000d0a515549540a211100147f0000017f000001bef05dbf200005000000000068690a', 'hex');
const INIT = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');

describe('ProxyHeaderDecoder', () => {
  it("decodes HAProxy's own header for a plain client: the client's address, no TLS, and hands back what follows", () => {
    const r = new ProxyHeaderDecoder('required').push(HAPROXY_PLAIN);
    expect(r).toEqual({
      state: 'done',
      header: { command: 'proxy', source: { address: '127.0.0.1', port: 48880 }, destination: { address: '127.0.0.1', port: 23999 } },
      rest: Buffer.from('hi\n'),
    });
  });

  it('decodes the same header fed in every split: 1 byte at a time, 5 bytes, across the fixed part and the body', () => {
    for (const size of [1, 2, 5, 13, 16, 17, 30]) {
      const r = feed(new ProxyHeaderDecoder('required'), HAPROXY_PLAIN, size);
      expect(r.state).toBe('done');
      if (r.state !== 'done') continue;
      expect(r.header?.source).toEqual({ address: '127.0.0.1', port: 48880 });
      expect(r.rest.toString()).toBe('hi\n');
    }
  });

  it("carries a TLS client's certificate CN, TLS version and verification from the SSL TLV", () => {
    const header = encodeProxyV2({
      command: 'proxy',
      source: { address: '203.0.113.7', port: 50123 },
      destination: { address: '10.0.0.5', port: 3443 },
      tls: { version: 'TLSv1.3', cn: 'alice', clientCert: true, verified: true },
    });
    const r = feed(new ProxyHeaderDecoder('required'), Buffer.concat([header, INIT]), 7);
    expect(r).toMatchObject({
      state: 'done',
      header: { command: 'proxy', source: { address: '203.0.113.7', port: 50123 }, tls: { version: 'TLSv1.3', cn: 'alice', clientCert: true, verified: true } },
    });
  });

  it('says verified: false for a certificate that did not verify, and no tls at all for a plain client', () => {
    const unverified = encodeProxyV2({
      command: 'proxy',
      source: { address: '127.0.0.1', port: 1 },
      destination: { address: '127.0.0.1', port: 2 },
      tls: { version: 'TLSv1.2', cn: 'mallory', clientCert: true, verified: false },
    });
    expect(new ProxyHeaderDecoder('required').push(unverified)).toMatchObject({ header: { tls: { cn: 'mallory', verified: false } } });
    const r = new ProxyHeaderDecoder('required').push(HAPROXY_PLAIN);
    expect(r.state === 'done' && r.header?.tls).toBeUndefined();
  });

  it('skips TLVs it does not know (ALPN, unique id, NOOP) and reads the ones after them', () => {
    const header = encodeProxyV2({
      command: 'proxy',
      source: { address: '192.0.2.1', port: 1000 },
      destination: { address: '192.0.2.2', port: 3000 },
      extraTlvs: [
        { type: 0x04, value: Buffer.alloc(10) },
        { type: 0x05, value: Buffer.from('unique-id') },
        { type: 0x20, value: Buffer.from([0x07, 0, 0, 0, 0, 0x22, 0, 3, 0x62, 0x6f, 0x62]) },
      ],
    });
    expect(new ProxyHeaderDecoder('required').push(header)).toMatchObject({ state: 'done', header: { tls: { cn: 'bob', clientCert: true, verified: true } } });
  });

  it('decodes IPv6 endpoints, compressed as RFC 5952 writes them, and IPv4-mapped ones', () => {
    const v6 = encodeProxyV2({ command: 'proxy', source: { address: '2001:db8::42', port: 443 }, destination: { address: '::1', port: 3000 } });
    expect(new ProxyHeaderDecoder('required').push(v6)).toMatchObject({
      header: { source: { address: '2001:db8::42', port: 443 }, destination: { address: '::1', port: 3000 } },
    });
    const mapped = encodeProxyV2({ command: 'proxy', source: { address: '::ffff:c000:201', port: 9 }, destination: { address: '::', port: 3000 } });
    expect(new ProxyHeaderDecoder('required').push(mapped)).toMatchObject({ header: { source: { address: '::ffff:192.0.2.1' }, destination: { address: '::' } } });
  });

  it('accepts the LOCAL command (a health check) without addresses, and ignores any it carries', () => {
    const local = encodeProxyV2({ command: 'local' });
    expect(local).toHaveLength(16);
    expect(feed(new ProxyHeaderDecoder('required'), Buffer.concat([local, INIT]), 3)).toMatchObject({ state: 'done', header: { command: 'local' } });
    const proxy = encodeProxyV2({ command: 'proxy', source: { address: '198.51.100.1', port: 1 }, destination: { address: '198.51.100.2', port: 2 } });
    proxy[12] = 0x20; // the same header, as LOCAL
    const r = new ProxyHeaderDecoder('required').push(proxy);
    expect(r).toEqual({ state: 'done', header: { command: 'local' }, rest: Buffer.alloc(0) });
  });

  it('refuses, when required, a stream without a header: JSON, garbage, and PROXY v1 (even split)', () => {
    expect(new ProxyHeaderDecoder('required').push(INIT)).toMatchObject({ state: 'refused', reason: expect.stringContaining('header is required') });
    expect(new ProxyHeaderDecoder('required').push(Buffer.from([0x16, 0x03, 0x01]))).toMatchObject({ state: 'refused' });
    const v1 = Buffer.from('PROXY TCP4 192.0.2.1 192.0.2.2 1000 3000\r\n');
    expect(feed(new ProxyHeaderDecoder('required'), v1, 2)).toMatchObject({ state: 'refused', reason: expect.stringContaining('v1 is not accepted') });
    // A blank line looks like the signature's first bytes until it does not.
    expect(feed(new ProxyHeaderDecoder('required'), Buffer.from('\r\n\r\n{}\n'), 1)).toMatchObject({ state: 'refused' });
  });

  it('passes, when optional, a stream without a header through whole, even one starting like the signature', () => {
    expect(new ProxyHeaderDecoder('optional').push(INIT)).toEqual({ state: 'done', rest: INIT });
    const d = new ProxyHeaderDecoder('optional');
    expect(d.push(Buffer.from('\r\n'))).toEqual({ state: 'more' });
    expect(d.push(Buffer.from('\r\n{"x":1}\n'))).toEqual({ state: 'done', rest: Buffer.from('\r\n\r\n{"x":1}\n') });
    expect(d.bufferedBytes).toBe(0);
    // ...and reads a header when there is one.
    expect(feed(new ProxyHeaderDecoder('optional'), HAPROXY_PLAIN, 4)).toMatchObject({ state: 'done', header: { command: 'proxy' } });
  });

  it('refuses a malformed v2 header in either mode: wrong version, unknown command or family, short body, overrunning TLV', () => {
    const good = encodeProxyV2({ command: 'proxy', source: { address: '192.0.2.1', port: 1 }, destination: { address: '192.0.2.2', port: 2 } });
    const broken = (at: number, value: number) => {
      const b = Buffer.from(good);
      b[at] = value;
      return b;
    };
    const cases: [Buffer, string][] = [
      [broken(12, 0x11), 'version 1'],
      [broken(12, 0x22), 'unknown command'],
      [broken(13, 0x41), 'unknown address family'],
      [broken(13, 0x13), 'unknown transport'],
      [broken(15, 4), 'too short'],
      [Buffer.concat([broken(15, 16), Buffer.from([0x20, 0, 9, 1])]), 'overruns'],
      [Buffer.concat([broken(15, 14), Buffer.from([0x20, 0])]), 'truncated TLV'],
    ];
    for (const mode of ['optional', 'required'] as const) {
      for (const [bytes, why] of cases) {
        expect(new ProxyHeaderDecoder(mode).push(bytes)).toMatchObject({ state: 'refused', reason: expect.stringContaining(why) });
      }
    }
  });

  it('waits for the whole body that the length announces, and answers the same once decided', () => {
    const header = encodeProxyV2({ command: 'proxy', source: { address: '192.0.2.1', port: 1 }, destination: { address: '192.0.2.2', port: 2 } });
    const d = new ProxyHeaderDecoder('required');
    expect(d.push(header.subarray(0, header.length - 1))).toEqual({ state: 'more' });
    expect(d.bufferedBytes).toBe(header.length - 1);
    expect(d.push(header.subarray(header.length - 1))).toMatchObject({ state: 'done', rest: Buffer.alloc(0) });
    expect(d.push(INIT)).toMatchObject({ state: 'done', rest: Buffer.alloc(0) });
    expect(header.subarray(0, 12)).toEqual(PROXY_V2_SIGNATURE);
  });
});
