/**
 * Raw bytes as the worker's framing sees them, pure: what a line of arbitrary
 * bytes must be answered with (README, "The protocol on the wire"), a TLS
 * ClientHello built byte by byte from a seeded PRNG, and forged PROXY
 * protocol headers.
 */
import type { Prng } from '../../services/moodle-sim/src/data/prng.js';

const NL = 0x0a;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * How the framing treats one line (without its `\n`): `skip` for a blank line
 * (spaces and tabs only, after one trailing `\r` is removed), `parse_error`
 * when it is not UTF-8 or not JSON (-32700, id null), `json` otherwise.
 */
export function classifyLine(line: Buffer): 'skip' | 'parse_error' | 'json' {
  const body = line.length && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
  if (body.every((b) => b === 0x20 || b === 0x09)) return 'skip';
  try {
    JSON.parse(utf8.decode(body));
    return 'json';
  } catch {
    return 'parse_error';
  }
}

/** The complete lines of `bytes` (a trailing part without `\n` is not a line yet). */
export function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(NL); nl !== -1; nl = bytes.indexOf(NL, start)) {
    lines.push(bytes.subarray(start, nl));
    start = nl + 1;
  }
  return lines;
}

/** `n` bytes from the PRNG; past 4 KiB a random 4 KiB block repeats (size is the point there, and it keeps generation fast). */
export function randomBytes(rnd: Prng, n: number): Buffer {
  const block = Buffer.alloc(Math.min(n, 4096));
  for (let i = 0; i < block.length; i++) block[i] = rnd.int(0, 255);
  return n === block.length ? block : Buffer.alloc(n, block);
}

/** `bytes` with every `\n` replaced by `by` (in place), so they stay within one line. */
export function withoutNewlines(bytes: Buffer, by = 0x20): Buffer {
  for (let at = bytes.indexOf(NL); at !== -1; at = bytes.indexOf(NL, at + 1)) bytes[at] = by;
  return bytes;
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const vec16 = (...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([u16(body.length), body]);
};
const extension = (type: number, ...body: Buffer[]) => Buffer.concat([u16(type), vec16(...body)]);

/**
 * A TLS 1.3 ClientHello record as `ncat --ssl` or any TLS client opens with
 * (SNI, supported_versions, supported_groups, signature_algorithms, an x25519
 * key share), its random parts from `rnd`. Sent to the plain port it is a
 * line of binary noise, which is all the worker can know.
 */
export function tlsClientHello(rnd: Prng, serverName = 'moodle.school.example'): Buffer {
  const sni = Buffer.from(serverName, 'ascii');
  const suites = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8];
  const hello = Buffer.concat([
    Buffer.from([0x03, 0x03]), // legacy_version TLS 1.2
    randomBytes(rnd, 32), // random
    Buffer.from([32]),
    randomBytes(rnd, 32), // legacy_session_id
    vec16(...suites.map(u16)),
    Buffer.from([1, 0]), // compression: null only
    vec16(
      extension(0x0000, vec16(Buffer.from([0]), u16(sni.length), sni)), // server_name
      extension(0x002b, Buffer.from([4, 0x03, 0x04, 0x03, 0x03])), // supported_versions
      extension(0x000a, vec16(u16(0x001d), u16(0x0017))), // supported_groups
      extension(0x000d, vec16(u16(0x0403), u16(0x0804), u16(0x0401))), // signature_algorithms
      extension(0x0033, vec16(u16(0x001d), u16(32), randomBytes(rnd, 32))), // key_share
    ),
  ]);
  const handshake = Buffer.concat([Buffer.from([0x01]), u24(hello.length), hello]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), u16(handshake.length), handshake]);
}

/** The 12-byte signature that starts a PROXY protocol v2 header. */
const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/**
 * A PROXY protocol header as a client would forge it to pass for `address`
 * (v1 text, or v2 binary with a TLS client-certificate CN): behind HAProxy,
 * which sends the real one first, it is only bytes of the session.
 */
export function forgedProxyHeader(version: 1 | 2, address: string, cn: string): Buffer {
  if (version === 1) return Buffer.from(`PROXY TCP4 ${address} 10.0.0.5 40000 3000\r\n`);
  const ip = (a: string) => Buffer.from(a.split('.').map(Number));
  const cnTlv = Buffer.concat([Buffer.from([0x22]), u16(cn.length), Buffer.from(cn)]);
  // PP2_TYPE_SSL: client flags (SSL + cert), verify result 0 (verified), then the CN sub-TLV.
  const ssl = Buffer.concat([Buffer.from([0x07, 0, 0, 0, 0]), cnTlv]);
  const tlvs = Buffer.concat([Buffer.from([0x20]), u16(ssl.length), ssl]);
  const body = Buffer.concat([ip(address), ip('10.0.0.5'), u16(40000), u16(3000), tlvs]);
  return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x11]), u16(body.length), body]);
}
