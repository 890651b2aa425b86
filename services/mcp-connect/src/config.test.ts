import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, type Config } from './config';

/** A CA-less pair of self-signed certificates and keys, made with openssl. */
let dir: string;
const f = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-connect-config-'));
  for (const who of ['alice', 'bob']) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        f(`${who}.key`),
        '-out',
        f(`${who}.crt`),
        '-days',
        '1',
        '-subj',
        `/CN=${who}`,
      ],
      { stdio: 'ignore' },
    );
  }
  execFileSync('openssl', ['pkey', '-in', f('alice.key'), '-aes256', '-passout', 'pass:secret', '-out', f('locked.key')], { stdio: 'ignore' });
  writeFileSync(f('notes.txt'), 'not a certificate\n');
  writeFileSync(f('broken.pem'), '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
  writeFileSync(f('unreadable.pem'), '');
  chmodSync(f('unreadable.pem'), 0o000);
  mkdirSync(f('adir'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...argv: string[]): Config => {
  const r = parseArgs(argv, {});
  if (r.kind !== 'run') throw new Error(`expected a configuration, got ${JSON.stringify(r)}`);
  return r.config;
};
const errors = (...argv: string[]): string[] => {
  const r = parseArgs(argv, {});
  if (r.kind !== 'usage') throw new Error(`expected usage errors, got ${r.kind}`);
  return r.errors;
};

describe('mcp-connect options', () => {
  it('takes HOST:PORT or, like ncat, HOST PORT; plain TCP without --ssl', () => {
    expect(run('10.0.0.5:3000')).toMatchObject({ host: '10.0.0.5', port: 3000, giveUpMs: 60_000, verbose: false, tls: undefined });
    expect(run('vip.school.example', '3443', '--give-up-after', '5')).toMatchObject({ host: 'vip.school.example', port: 3443, giveUpMs: 5_000 });
    expect(run('[::1]:3000')).toMatchObject({ host: '::1', port: 3000 });
    expect(parseArgs(['10.0.0.5:3000'], { MCP_CONNECT_VERBOSE: '1' })).toMatchObject({ kind: 'run', config: { verbose: true } });
  });

  it("reads ncat's TLS options; any --ssl-* implies --ssl; --ssl-verify is accepted (always on)", () => {
    const c = run('--ssl', '--ssl-verify', '--ssl-trustfile', f('alice.crt'), '--ssl-cert', f('bob.crt'), '--ssl-key', f('bob.key'), '127.0.0.1', '3443');
    expect(c.tls).toMatchObject({ verifyName: '127.0.0.1', files: { trustfile: f('alice.crt'), cert: f('bob.crt'), key: f('bob.key') } });
    expect(run('--ssl-trustfile', f('alice.crt'), 'vip:3443').tls).toBeDefined();
    expect(run('--ssl', 'vip:3443', '--ssl-servername', 'mcp.school.example').tls?.verifyName).toBe('mcp.school.example');
  });

  it('names the option of a missing, unreadable, directory or non-PEM file, all at once', () => {
    const e = errors('--ssl-trustfile', f('nope.pem'), '--ssl-cert', f('notes.txt'), '--ssl-key', f('adir'), 'vip:3443');
    expect(e).toEqual([
      `--ssl-trustfile: ${f('nope.pem')} does not exist`,
      expect.stringContaining(`--ssl-cert: ${f('notes.txt')} is not a PEM certificate file`),
      `--ssl-key: ${f('adir')} is a directory, not a file`,
    ]);
    if (process.getuid?.() !== 0)
      expect(errors('--ssl-trustfile', f('unreadable.pem'), 'vip:3443')).toEqual([
        `--ssl-trustfile: ${f('unreadable.pem')} cannot be read (permission denied)`,
      ]);
    expect(errors('--ssl-cert', f('alice.crt'), '--ssl-key', f('alice.crt'), 'vip:3443')).toEqual([
      expect.stringContaining(`--ssl-key: ${f('alice.crt')} is not a PEM private key file`),
    ]);
  });

  it('refuses a certificate without its key, a key of another certificate, a passphrase-protected key, a PEM OpenSSL cannot read', () => {
    expect(errors('--ssl-cert', f('alice.crt'), 'vip:3443')).toEqual(['--ssl-cert needs --ssl-key (the private key of that certificate)']);
    expect(errors('--ssl-cert', f('alice.crt'), '--ssl-key', f('bob.key'), 'vip:3443')).toEqual([
      `--ssl-key: ${f('bob.key')} is not the private key of the certificate ${f('alice.crt')} (--ssl-cert)`,
    ]);
    expect(errors('--ssl-cert', f('alice.crt'), '--ssl-key', f('locked.key'), 'vip:3443')).toEqual([
      expect.stringContaining(`--ssl-key: ${f('locked.key')} is protected by a passphrase`),
    ]);
    expect(errors('--ssl-trustfile', f('broken.pem'), 'vip:3443')).toEqual([
      expect.stringContaining(`--ssl-trustfile: ${f('broken.pem')} holds a certificate OpenSSL cannot read`),
    ]);
  });

  it('refuses a bad target, an unknown option, a bad --give-up-after, naming each', () => {
    expect(errors('no-port-here')).toEqual([expect.stringMatching(/expected HOST:PORT or HOST PORT/)]);
    expect(errors('vip:70000')).toEqual([expect.stringMatching(/expected HOST:PORT/)]);
    expect(errors('--insecure', 'vip:3443', '--give-up-after', '0')).toEqual([
      'unknown option --insecure',
      '--give-up-after needs a whole number of seconds from 1 to 86400, got 0',
    ]);
    expect(errors('--ssl-cert')).toEqual(['--ssl-cert needs a value', 'HOST:PORT is missing']);
    expect(parseArgs(['--help'], {})).toEqual({ kind: 'help' });
  });
});
