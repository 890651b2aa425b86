/**
 * mcp-connect's configuration: its command line (like ncat's) and
 * MCP_CONNECT_VERBOSE, parsed once in main.ts. Every bad option is reported
 * by name, all at once. TLS files are read and checked here, so a teacher
 * hears about a missing, unreadable or non-PEM file, or a key that is not
 * the certificate's, before any connection.
 *
 * Not zod, unlike the other services: this package installs on a teacher's
 * computer from its own tarball with no dependencies (scripts/pack.mjs), and
 * a command line of six options does not need a schema library.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

export const USAGE = `usage: mcp-connect [OPTIONS] HOST:PORT
       mcp-connect [OPTIONS] HOST PORT
  Bridges this process's stdin/stdout to an MCP server over TCP or TLS
  (newline-delimited JSON-RPC), reconnecting and restoring the session when
  the connection drops. Options (ncat's names for TLS):
  --ssl                     connect over TLS; the server's certificate is always verified
  --ssl-trustfile FILE      PEM file of the CA(s) to trust for the server's certificate
                            (default: the CAs Node.js trusts; the stack's own CA needs this)
  --ssl-cert FILE           PEM file of this client's certificate (with --ssl-key)
  --ssl-key FILE            PEM file of its private key, not passphrase-protected
  --ssl-servername NAME     the name the server's certificate must carry (default: HOST)
  --ssl-verify              accepted for ncat compatibility: verification is always on
  --give-up-after SECONDS   stop trying to reconnect after this many seconds (default 60)
  -v, --verbose             log connections and reconnects on stderr (or MCP_CONNECT_VERBOSE=1)
  Any --ssl-* option implies --ssl.`;

export interface TlsConfig {
  /** The CA, client certificate and key, read once: every reconnect uses the same. */
  secureContext: tls.SecureContext;
  /** The name the server's certificate is verified against: --ssl-servername or HOST. */
  verifyName: string;
  /** For the log of the effective configuration (paths, never contents). */
  files: { trustfile?: string; cert?: string; key?: string };
}

export interface Config {
  host: string;
  port: number;
  giveUpMs: number;
  verbose: boolean;
  tls?: TlsConfig;
}

export type ParseResult = { kind: 'run'; config: Config } | { kind: 'help' } | { kind: 'usage'; errors: string[] };

const VALUE_OPTIONS = new Set(['--give-up-after', '--ssl-trustfile', '--ssl-cert', '--ssl-key', '--ssl-servername']);

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): ParseResult {
  const errors: string[] = [];
  const values = new Map<string, string>();
  const positional: string[] = [];
  let ssl = false;
  let verbose = env.MCP_CONNECT_VERBOSE === '1';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return { kind: 'help' };
    if (a === '--ssl' || a === '--ssl-verify') ssl = true;
    else if (a === '-v' || a === '--verbose') verbose = true;
    else if (VALUE_OPTIONS.has(a)) {
      const v = argv[++i];
      if (v === undefined || v === '') errors.push(`${a} needs a value`);
      else values.set(a, v);
    } else if (a.startsWith('-')) errors.push(`unknown option ${a}`);
    else positional.push(a);
  }

  const target = parseTarget(positional, errors);
  let giveUpS = 60;
  const g = values.get('--give-up-after');
  if (g !== undefined) {
    giveUpS = Number(g);
    if (!Number.isInteger(giveUpS) || giveUpS < 1 || giveUpS > 86_400) errors.push(`--give-up-after needs a whole number of seconds from 1 to 86400, got ${g}`);
  }
  ssl ||= [...values.keys()].some((k) => k.startsWith('--ssl-'));
  const tlsConfig = ssl ? loadTls(values, target?.host ?? '', errors) : undefined;
  if (errors.length || !target) return { kind: 'usage', errors };
  return { kind: 'run', config: { ...target, giveUpMs: giveUpS * 1000, verbose, tls: tlsConfig } };
}

function parseTarget(positional: string[], errors: string[]): { host: string; port: number } | undefined {
  if (positional.length === 0) {
    errors.push('HOST:PORT is missing');
    return undefined;
  }
  if (positional.length > 2) {
    errors.push(`expected HOST:PORT or HOST PORT, got ${positional.join(' ')}`);
    return undefined;
  }
  let host: string | undefined;
  let portText: string | undefined;
  if (positional.length === 2) [host, portText] = positional;
  else {
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(positional[0]!);
    host = m?.[1];
    portText = m?.[2];
  }
  const port = /^\d{1,5}$/.test(portText ?? '') ? Number(portText) : NaN;
  if (!host || !(port >= 1 && port <= 65535)) {
    errors.push(`expected HOST:PORT or HOST PORT (e.g. 10.0.0.5:3000, or 10.0.0.5 3443), got ${positional.join(' ')}`);
    return undefined;
  }
  return { host: host.replace(/^\[(.*)\]$/, '$1'), port };
}

function loadTls(values: Map<string, string>, host: string, errors: string[]): TlsConfig | undefined {
  const files = { trustfile: values.get('--ssl-trustfile'), cert: values.get('--ssl-cert'), key: values.get('--ssl-key') };
  const before = errors.length;
  if (files.cert && !files.key) errors.push('--ssl-cert needs --ssl-key (the private key of that certificate)');
  if (files.key && !files.cert) errors.push('--ssl-key needs --ssl-cert (the certificate of that key)');
  const ca = files.trustfile ? readPem('--ssl-trustfile', files.trustfile, 'certificate', errors) : undefined;
  const cert = files.cert ? readPem('--ssl-cert', files.cert, 'certificate', errors) : undefined;
  const key = files.key ? readPem('--ssl-key', files.key, 'key', errors) : undefined;
  const servername = values.get('--ssl-servername');
  if (servername !== undefined && !net.isIP(servername) && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(servername)) {
    errors.push(`--ssl-servername needs a DNS name or an address, got ${servername}`);
  }
  if (errors.length > before) return undefined;
  // OpenSSL's own check of the contents: a PEM block it cannot parse, a key of another certificate.
  if (ca) checkCertificates('--ssl-trustfile', files.trustfile!, ca, errors);
  if (cert) checkCertificates('--ssl-cert', files.cert!, cert, errors);
  try {
    if (cert && key) tls.createSecureContext({ cert, key });
  } catch (err) {
    const e = err as Error & { code?: string };
    errors.push(
      /KEY_VALUES_MISMATCH/.test(e.code ?? '')
        ? `--ssl-key: ${files.key} is not the private key of the certificate ${files.cert} (--ssl-cert)`
        : `--ssl-cert/--ssl-key: OpenSSL cannot use ${files.cert} with ${files.key} (${e.message})`,
    );
  }
  if (errors.length > before) return undefined;
  return { secureContext: tls.createSecureContext({ ca, cert, key }), verifyName: servername ?? host, files };
}

/** Each certificate in a PEM file parses (OpenSSL's CA loading skips what it cannot read, silently). */
function checkCertificates(option: string, file: string, pem: Buffer, errors: string[]): void {
  const blocks = pem.toString('latin1').match(/-----BEGIN (X509 |TRUSTED )?CERTIFICATE-----[\s\S]*?-----END (X509 |TRUSTED )?CERTIFICATE-----/g) ?? [];
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      errors.push(`${option}: ${file} holds a certificate OpenSSL cannot read (the ${ordinal(i + 1)} one: ${(err as Error).message})`);
    }
  });
}

function ordinal(n: number): string {
  return n === 1 ? '1st' : n === 2 ? '2nd' : n === 3 ? '3rd' : `${n}th`;
}

const PEM_CERT = /-----BEGIN (X509 |TRUSTED )?CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN (RSA |EC |DSA )?PRIVATE KEY-----/;

/** A PEM file's contents, or undefined after naming the problem in `errors`. */
function readPem(option: string, file: string, kind: 'certificate' | 'key', errors: string[]): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') errors.push(`${option}: ${file} does not exist`);
    else if (code === 'EACCES' || code === 'EPERM') errors.push(`${option}: ${file} cannot be read (permission denied)`);
    else if (code === 'EISDIR') errors.push(`${option}: ${file} is a directory, not a file`);
    else errors.push(`${option}: ${file} cannot be read (${code ?? (err as Error).message})`);
    return undefined;
  }
  const text = data.toString('latin1');
  if (kind === 'certificate' && !PEM_CERT.test(text)) {
    errors.push(
      `${option}: ${file} is not a PEM certificate file (no "-----BEGIN CERTIFICATE-----" line; a DER file converts with: openssl x509 -inform der -in FILE -out FILE.pem)`,
    );
    return undefined;
  }
  if (kind === 'key') {
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
      errors.push(`${option}: ${file} is protected by a passphrase; mcp-connect needs the key without one (openssl pkey -in FILE -out FILE.plain)`);
      return undefined;
    }
    if (!PEM_KEY.test(text)) {
      errors.push(`${option}: ${file} is not a PEM private key file (no "-----BEGIN PRIVATE KEY-----" line)`);
      return undefined;
    }
  }
  return data;
}
