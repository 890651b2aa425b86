/**
 * PROXY protocol version 2 (HAProxy's `send-proxy-v2`), pure: bytes in,
 * header out; no sockets, no logs. The specification is HAProxy's
 * doc/proxy-protocol.txt, section 2.2.
 *
 * A header is 16 bytes (signature, version/command, family/transport,
 * length) followed by `length` bytes of addresses and TLVs:
 * - command LOCAL (0x20): a connection the proxy made itself (a health
 *   check); the receiver uses the connection's own endpoints;
 * - command PROXY (0x21): relayed for a client; the addresses are the
 *   client's (source) and the address it connected to (destination);
 * - TLV PP2_TYPE_SSL (0x20), sent with `proxy-v2-options ssl,cert-cn`: whether
 *   the client spoke TLS, whether its certificate verified, the TLS version
 *   and the certificate's Common Name.
 */

/** The 12-byte signature that starts every v2 header (no valid text line starts with it). */
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const FIXED_BYTES = 16;
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');

const CMD_LOCAL = 0x0;
const CMD_PROXY = 0x1;
const AF_UNSPEC = 0x0;
const AF_INET = 0x1;
const AF_INET6 = 0x2;
const AF_UNIX = 0x3;
/** Bytes of the address block per family (source and destination address and port). */
const ADDRESS_BYTES: Record<number, number> = { [AF_UNSPEC]: 0, [AF_INET]: 12, [AF_INET6]: 36, [AF_UNIX]: 216 };

const TLV_SSL = 0x20;
const SSL_SUB_VERSION = 0x21;
const SSL_SUB_CN = 0x22;
/** Bits of the SSL TLV's `client` byte. */
const PP2_CLIENT_SSL = 0x01;
const PP2_CLIENT_CERT_CONN = 0x02;
const PP2_CLIENT_CERT_SESS = 0x04;

export interface ProxyEndpoint {
  address: string;
  port: number;
}

/** What the proxy knew about the client's TLS connection (TLV PP2_TYPE_SSL). */
export interface ProxyTls {
  /** e.g. "TLSv1.3" */
  version?: string;
  /** Common Name of the client certificate's subject (with `proxy-v2-options cert-cn`). */
  cn?: string;
  /** The client presented a certificate (on this connection or its resumed session). */
  clientCert: boolean;
  /** The certificate was verified against the proxy's CA (PP2 `verify` field is 0). */
  verified: boolean;
}

export interface ProxyHeader {
  command: 'local' | 'proxy';
  /** The client, for the PROXY command over TCP/UDP (absent for LOCAL, UNSPEC and UNIX). */
  source?: ProxyEndpoint;
  /** The address the client connected to (the VIP), same conditions as `source`. */
  destination?: ProxyEndpoint;
  /** Present when the client spoke TLS to the proxy. */
  tls?: ProxyTls;
}

export type ProxyHeaderMode = 'optional' | 'required';

export type ProxyDecodeResult =
  /** Not enough bytes yet to decide. */
  | { state: 'more' }
  /** Decided: `header` is absent when the stream carries none (optional mode); `rest` is what follows it. */
  | { state: 'done'; header?: ProxyHeader; rest: Buffer }
  /** Not acceptable; the reason is for the peer and the log. */
  | { state: 'refused'; reason: string };

/**
 * Reads the PROXY v2 header at the start of a stream, fed in chunks of any
 * size. `required`: the stream must start with a valid v2 header (v1 and
 * anything else are refused). `optional`: a stream that does not start with
 * the v2 signature carries no header, and all its bytes are handed back.
 * A stream that starts with the signature must carry a valid header in
 * both modes. Bounded: a header is at most 16 + 65535 bytes.
 */
export class ProxyHeaderDecoder {
  private buffered: Buffer = Buffer.alloc(0);
  private result?: Exclude<ProxyDecodeResult, { state: 'more' }>;

  constructor(readonly mode: ProxyHeaderMode) {}

  /** Bytes held while the header is incomplete. */
  get bufferedBytes(): number {
    return this.buffered.length;
  }

  /** Feeds the next chunk. Once it has answered `done` or `refused`, later calls say the same (with an empty `rest`). */
  push(chunk: Buffer): ProxyDecodeResult {
    if (this.result) return this.result.state === 'done' ? { ...this.result, rest: Buffer.alloc(0) } : this.result;
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : Buffer.from(chunk);
    const decided = this.decide();
    if (decided.state === 'more') return decided;
    this.result = decided;
    this.buffered = Buffer.alloc(0);
    return decided;
  }

  private decide(): ProxyDecodeResult {
    const b = this.buffered;
    const compared = Math.min(b.length, PROXY_V2_SIGNATURE.length);
    if (!b.subarray(0, compared).equals(PROXY_V2_SIGNATURE.subarray(0, compared))) return this.noSignature(b);
    if (b.length < FIXED_BYTES) return { state: 'more' };
    const length = b.readUInt16BE(14);
    if (b.length < FIXED_BYTES + length) return { state: 'more' };
    const parsed = parseHeader(b.subarray(0, FIXED_BYTES + length));
    if (typeof parsed === 'string') return { state: 'refused', reason: `invalid PROXY protocol v2 header: ${parsed}` };
    return { state: 'done', header: parsed, rest: b.subarray(FIXED_BYTES + length) };
  }

  private noSignature(b: Buffer): ProxyDecodeResult {
    if (this.mode === 'optional') return { state: 'done', rest: b };
    const n = Math.min(b.length, V1_PREFIX.length);
    if (b.subarray(0, n).equals(V1_PREFIX.subarray(0, n))) {
      if (n < V1_PREFIX.length) return { state: 'more' };
      return { state: 'refused', reason: 'PROXY protocol v1 is not accepted; the proxy must send v2 (HAProxy: send-proxy-v2)' };
    }
    return { state: 'refused', reason: 'a PROXY protocol v2 header is required on this port (connect through HAProxy)' };
  }
}

/** A complete header (fixed part + body) → the header, or what is wrong with it. */
function parseHeader(h: Buffer): ProxyHeader | string {
  const version = h[12]! >> 4;
  const command = h[12]! & 0x0f;
  if (version !== 2) return `version ${version} (expected 2)`;
  if (command !== CMD_LOCAL && command !== CMD_PROXY) return `unknown command 0x${command.toString(16)}`;
  const family = h[13]! >> 4;
  const transport = h[13]! & 0x0f;
  const addressBytes = ADDRESS_BYTES[family];
  if (addressBytes === undefined) return `unknown address family 0x${family.toString(16)}`;
  if (transport > 2) return `unknown transport protocol 0x${transport.toString(16)}`;
  const body = h.subarray(FIXED_BYTES);
  if (body.length < addressBytes) return `length ${body.length} is too short for its address family (${addressBytes} bytes)`;
  const tlvs = parseTlvs(body.subarray(addressBytes));
  if (typeof tlvs === 'string') return tlvs;
  // LOCAL: the proxy speaks for itself; whatever addresses it sent are to be ignored.
  if (command === CMD_LOCAL) return { command: 'local' };
  const header: ProxyHeader = { command: 'proxy' };
  if (family === AF_INET || family === AF_INET6) {
    const size = family === AF_INET ? 4 : 16;
    const ip = family === AF_INET ? formatIPv4 : formatIPv6;
    header.source = { address: ip(body.subarray(0, size)), port: body.readUInt16BE(2 * size) };
    header.destination = { address: ip(body.subarray(size, 2 * size)), port: body.readUInt16BE(2 * size + 2) };
  }
  const ssl = tlvs.get(TLV_SSL);
  if (ssl) {
    const tls = parseSslTlv(ssl);
    if (typeof tls === 'string') return tls;
    if (tls) header.tls = tls;
  }
  return header;
}

/** Type-length-value records after the addresses; the first of each type is kept. */
function parseTlvs(b: Buffer): Map<number, Buffer> | string {
  const out = new Map<number, Buffer>();
  let at = 0;
  while (at < b.length) {
    if (at + 3 > b.length) return `truncated TLV at byte ${at} of ${b.length}`;
    const type = b[at]!;
    const len = b.readUInt16BE(at + 1);
    if (at + 3 + len > b.length) return `TLV 0x${type.toString(16)} of ${len} bytes overruns the header`;
    if (!out.has(type)) out.set(type, b.subarray(at + 3, at + 3 + len));
    at += 3 + len;
  }
  return out;
}

/** PP2_TYPE_SSL: client (1 byte), verify (4 bytes, 0 = verified), then sub-TLVs. Undefined when the client did not use TLS. */
function parseSslTlv(v: Buffer): ProxyTls | undefined | string {
  if (v.length < 5) return `SSL TLV of ${v.length} bytes (at least 5 expected)`;
  const client = v[0]!;
  if (!(client & PP2_CLIENT_SSL)) return undefined;
  const subs = parseTlvs(v.subarray(5));
  if (typeof subs === 'string') return `in the SSL TLV: ${subs}`;
  const clientCert = (client & (PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS)) !== 0;
  const tls: ProxyTls = { clientCert, verified: clientCert && v.readUInt32BE(1) === 0 };
  const version = subs.get(SSL_SUB_VERSION);
  const cn = subs.get(SSL_SUB_CN);
  if (version) tls.version = version.toString('utf8');
  if (cn) tls.cn = cn.toString('utf8');
  return tls;
}

function formatIPv4(b: Buffer): string {
  return Array.from(b).join('.');
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups as "::"; IPv4-mapped as ::ffff:a.b.c.d. */
function formatIPv6(b: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(2 * i));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${formatIPv4(b.subarray(12))}`;
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j > i ? j : i + 1;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** What `encodeProxyV2` writes: LOCAL, or PROXY with the client's endpoints and optionally its TLS facts. */
export type ProxyHeaderInput =
  | { command: 'local' }
  | { command: 'proxy'; source: ProxyEndpoint; destination: ProxyEndpoint; tls?: ProxyTls; extraTlvs?: { type: number; value: Buffer }[] };

/**
 * A PROXY v2 header, as HAProxy writes it. The proxy service opens its deep
 * health checks with the LOCAL form; tests build every form with it.
 * Addresses are IPv4 dotted quads or IPv6 text (both sides the same family).
 */
export function encodeProxyV2(h: ProxyHeaderInput): Buffer {
  if (h.command === 'local') return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
  const v4 = isIPv4(h.source.address);
  if (v4 !== isIPv4(h.destination.address)) throw new Error('encodeProxyV2: source and destination must be of one address family');
  const ip = v4 ? parseIPv4 : parseIPv6;
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(h.source.port, 0);
  ports.writeUInt16BE(h.destination.port, 2);
  const tlvs = [...(h.tls ? [{ type: TLV_SSL, value: sslTlvValue(h.tls) }] : []), ...(h.extraTlvs ?? [])].map((t) => tlv(t.type, t.value));
  const body = Buffer.concat([ip(h.source.address), ip(h.destination.address), ports, ...tlvs]);
  const fixed = Buffer.from([0x21, ((v4 ? AF_INET : AF_INET6) << 4) | 0x1, 0, 0]);
  fixed.writeUInt16BE(body.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, fixed, body]);
}

function sslTlvValue(t: ProxyTls): Buffer {
  const head = Buffer.alloc(5);
  head[0] = PP2_CLIENT_SSL | (t.clientCert ? PP2_CLIENT_CERT_CONN : 0);
  head.writeUInt32BE(t.verified ? 0 : 1, 1);
  const subs = [...(t.version ? [tlv(SSL_SUB_VERSION, Buffer.from(t.version))] : []), ...(t.cn ? [tlv(SSL_SUB_CN, Buffer.from(t.cn))] : [])];
  return Buffer.concat([head, ...subs]);
}

function tlv(type: number, value: Buffer): Buffer {
  const head = Buffer.from([type, 0, 0]);
  head.writeUInt16BE(value.length, 1);
  return Buffer.concat([head, value]);
}

function isIPv4(a: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(a);
}

function parseIPv4(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

function parseIPv6(a: string): Buffer {
  const [head = '', tail] = a.split('::');
  const part = (s: string) => (s ? s.split(':') : []);
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  if (groups.length !== 8) throw new Error(`encodeProxyV2: not an IPv6 address: ${a}`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), 2 * i));
  return out;
}
