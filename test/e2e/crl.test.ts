import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ProxyHeaderDecoder } from '@moodle-mcp/common';
import { freePortBlock } from '../../bench/src/ports.js';
import { haproxyCommand, haproxyServers } from '../helpers/haproxy.js';
import { processRuns, ROOT, run, type RunResult } from '../helpers/nativeStack.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Revoking a teacher's client certificate, for real: scripts/certs.sh
 * (openssl) in a temp CERT_DIR, the stack's own haproxy/haproxy.cfg on free
 * loopback ports with the TLS bind (verify required, crl-file), `ncat --ssl`
 * with the teachers' certificates, and behind HAProxy a small TCP server that
 * reads the PROXY v2 header and greets the client with the CN HAProxy
 * verified. `revoke` + `push-crl` go through HAProxy's runtime API: the same
 * HAProxy process refuses the revoked certificate at its next handshake.
 */

const HAPROXY_BIN = existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';

/** The backend: greets every connection with "hello <CN>" (or "hello -" without one) and remembers the CNs. */
function startGreeter(seen: string[]): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const decoder = new ProxyHeaderDecoder('required');
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      const r = decoder.push(chunk);
      if (r.state === 'refused') socket.destroy();
      if (r.state !== 'done' || socket.writableEnded) return;
      const cn = r.header?.tls?.verified ? (r.header.tls.cn ?? '-') : '-';
      seen.push(cn);
      socket.end(`hello ${cn}\n`);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** HAProxy's health check target (backend `workers` checks GET /ready on the check port). */
function startReady(): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.end('ready\n'));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const portOf = (s: net.Server | http.Server) => (s.address() as net.AddressInfo).port;

describe('revoking a teacher: CRL on the TLS bind, pushed to a running HAProxy', () => {
  let dir: string;
  let certDir: string;
  let socket: string;
  let env: NodeJS.ProcessEnv;
  let tlsPort: number;
  let haproxy: ChildProcess;
  let haproxyLog = '';
  let greeter: net.Server;
  let ready: http.Server;
  const seen: string[] = [];
  /** Everything scripts/certs.sh printed: no key may be among it. */
  const printed: string[] = [];

  const certs = async (args: string[], extra: Record<string, string> = {}): Promise<RunResult> => {
    const r = await run('bash', [path.join(ROOT, 'scripts/certs.sh'), ...args], { ...env, ...extra }, 60_000);
    printed.push(r.stdout, r.stderr);
    return r;
  };
  const client = (name: string) => path.join(certDir, 'clients', name);
  const index = () => readFileSync(path.join(certDir, 'index.txt'), 'utf8').trim().split('\n');
  const serialOf = async (crt: string) => (await run('openssl', ['x509', '-in', crt, '-noout', '-serial'], env)).stdout.trim().replace(/^serial=/, '');
  const crlText = async () => (await run('openssl', ['crl', '-in', path.join(certDir, 'crl.pem'), '-noout', '-text'], env)).stdout;

  /**
   * One `ncat --ssl --ssl-verify` with CRT/KEY to the TLS port, bounded: what
   * it printed and its exit code. TLS 1.3 refuses a client certificate
   * after the client's side of the handshake, and ncat notices only when it
   * writes after the refusal ("Input/output error"; one that never writes
   * waits for ever): so it writes a newline every 100 ms, which the greeter
   * ignores, until the greeting arrives or ncat ends.
   */
  const connect = (crt: string, key: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn('ncat', [
        '--ssl',
        '--ssl-verify',
        '--ssl-trustfile',
        path.join(certDir, 'ca.pem'),
        '--ssl-cert',
        crt,
        '--ssl-key',
        key,
        '127.0.0.1',
        String(tlsPort),
      ]);
      let stdout = '';
      let stderr = '';
      const poke = setInterval(() => p.stdin.writable && p.stdin.write('\n'), 100);
      p.stdout.on('data', (d: Buffer) => {
        stdout += d;
        if (!stdout.includes('\n')) return;
        clearInterval(poke);
        p.stdin.end();
      });
      p.stderr.on('data', (d: Buffer) => (stderr += d));
      p.stdin.on('error', () => undefined);
      const budget = setTimeout(() => p.kill('SIGKILL'), 10_000);
      p.on('close', (code) => {
        clearInterval(poke);
        clearTimeout(budget);
        resolve({ code, stdout, stderr });
      });
    });
  const greeting = async (name: string) => (await connect(`${client(name)}.crt`, `${client(name)}.key`)).stdout.trim();

  beforeAll(async () => {
    // Short: the runtime API socket path must fit in 108 bytes.
    dir = mkdtempSync(path.join(os.tmpdir(), 'crl-'));
    certDir = path.join(dir, 'certs');
    socket = path.join(dir, 'haproxy.sock');
    const allowlist = path.join(dir, 'allowlist.txt');
    writeFileSync(allowlist, '127.0.0.1\n');
    const base = await freePortBlock(3);
    tlsPort = base + 1;
    env = {
      ...process.env,
      ENV_FILE: '/dev/null',
      RUN_DIR: path.join(dir, 'run'),
      CERT_DIR: certDir,
      VIP: '127.0.0.1',
      HAPROXY_ALLOWLIST: allowlist,
      HAPROXY_SOCKET: socket,
    };
    for (const k of ['MAKEFLAGS', 'MAKELEVEL', 'FORCE', 'CRL_DAYS', 'CRL_RENEW_DAYS', 'HAPROXY_TLS_CRL']) delete env[k];
    for (const args of [[], ['teacher', 'alice'], ['teacher', 'bob']]) {
      const r = await certs(args);
      if (r.code !== 0) throw new Error(`certs.sh ${args.join(' ')} failed (${r.code}):\n${r.stdout}${r.stderr}`);
    }
    [greeter, ready] = await Promise.all([startGreeter(seen), startReady()]);
    haproxy = spawn(HAPROXY_BIN, ['-db', '-f', path.join(ROOT, 'haproxy/haproxy.cfg')], {
      env: {
        PATH: process.env.PATH,
        HAPROXY_BIND: '127.0.0.1',
        MCP_PORT: String(base + 2),
        STATS_PORT: String(base + 3),
        STATS_PASSWORD: 'crl-test',
        HAPROXY_ALLOWLIST: allowlist,
        HAPROXY_SOCKET: socket,
        WORKER_DISCOVERY: 'runtime',
        WORKER_SLOTS: '1',
        TLS_PORT: String(tlsPort),
        HAPROXY_TLS_CERT: path.join(certDir, 'server.pem'),
        HAPROXY_TLS_CA: path.join(certDir, 'ca.pem'),
        HAPROXY_TLS_CRL: path.join(certDir, 'crl.pem'),
        HAPROXY_TLS_VERIFY: 'required',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    haproxy.stdout!.on('data', (d: Buffer) => (haproxyLog += d));
    haproxy.stderr!.on('data', (d: Buffer) => (haproxyLog += d));
    await waitFor('the HAProxy runtime API', async () => (await haproxyCommand(socket, 'show info')).includes('Name: HAProxy'), { timeoutMs: 15_000 }).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${haproxyLog}`);
      },
    );
    // The native runner's way (scripts/local.sh): give slot worker-1 its ports, then take it out of maintenance.
    await haproxyCommand(socket, `set server workers/worker-1 addr 127.0.0.1 port ${portOf(greeter)}`);
    await haproxyCommand(socket, `set server workers/worker-1 check-port ${portOf(ready)};set server workers/worker-1 state ready`);
    await waitFor('worker-1 UP in HAProxy', async () => (await haproxyServers(socket)).get('worker-1')?.status === 'UP');
  }, 60_000);

  afterAll(async () => {
    if (haproxy && haproxy.exitCode === null) {
      const exited = new Promise((r) => haproxy.once('exit', r));
      haproxy.kill('SIGTERM');
      const budget = setTimeout(() => haproxy.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(budget);
    }
    await Promise.all([greeter, ready].filter(Boolean).map((s) => new Promise((r) => s.close(r))));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it('records every client certificate issued (openssl CA index) and starts with an empty CRL signed by the CA; keys mode 600', async () => {
    const lines = index();
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^V\\t\\d{12}Z\\t\\t${await serialOf(client('alice') + '.crt')}\\tunknown\\t/O=Moodle MCP stack/CN=alice$`)),
      expect.stringMatching(new RegExp(`^V\\t\\d{12}Z\\t\\t${await serialOf(client('bob') + '.crt')}\\tunknown\\t/O=Moodle MCP stack/CN=bob$`)),
    ]);
    const verified = await run('openssl', ['crl', '-in', path.join(certDir, 'crl.pem'), '-CAfile', path.join(certDir, 'ca.pem'), '-noout'], env);
    expect(verified.stdout + verified.stderr).toContain('verify OK');
    expect(await crlText()).toContain('No Revoked Certificates');
    for (const key of ['ca.key', 'server.pem', 'clients/alice.key', 'clients/bob.key']) expect(statSync(path.join(certDir, key)).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(certDir, 'crl.pem')).mode & 0o777).toBe(0o644);
  });

  it('lets alice and bob through the TLS port (verify required, crl-file); the backend sees each CN', async () => {
    expect(await greeting('alice')).toBe('hello alice');
    expect(await greeting('bob')).toBe('hello bob');
    expect(seen).toEqual(['alice', 'bob']);
  });

  it("refuses alice's certificate at the handshake once revoked and pushed, within seconds and with no reload, while bob still gets through", async () => {
    const pid = haproxy.pid!;
    const aliceSerial = await serialOf(client('alice') + '.crt');
    const revoked = await certs(['revoke', 'alice']);
    expect(revoked).toMatchObject({ code: 0 });
    expect(revoked.stdout).toContain('revoked 1 certificate(s) of alice');
    expect(revoked.stdout).toContain('push-crl');
    const started = Date.now();
    const pushed = await certs(['push-crl']);
    expect(pushed).toMatchObject({ code: 0 });
    expect(pushed.stdout).toContain(`now checks client certificates against ${path.join(certDir, 'crl.pem')}`);
    const before = seen.length;
    const refused = await waitFor(
      "alice's handshake to be refused",
      async () => {
        const r = await connect(`${client('alice')}.crt`, `${client('alice')}.key`);
        return r.code !== 0 ? r : undefined;
      },
      { timeoutMs: 5_000 },
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(refused).toMatchObject({ stdout: '', stderr: expect.stringContaining('Input/output error') });
    expect(await greeting('bob')).toBe('hello bob');
    // Refused by HAProxy itself: the backend never saw alice again.
    expect(seen.slice(before).filter((cn) => cn === 'alice')).toEqual([]);
    await waitFor("HAProxy's log of the refused handshake", () => haproxyLog.includes('mcp/tls: SSL client certificate not trusted'));
    // The same process, never reloaded.
    expect(processRuns(pid)).toBe(true);
    expect(await haproxyCommand(socket, 'show info')).toContain(`Pid: ${pid}\n`);
    const loaded = await haproxyCommand(socket, `show ssl crl-file ${path.join(certDir, 'crl.pem')}`);
    expect(loaded).toContain('Status: Used');
    expect(loaded).toContain(`Serial Number: ${aliceSerial}`);
  });

  it('revokes idempotently, and says so; an unknown teacher is an error that names the known ones', async () => {
    const again = await certs(['revoke', 'alice']);
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).toContain('alice has no valid certificate (all revoked already)');
    expect(index().filter((l) => l.startsWith('R\t'))).toHaveLength(1);
    const unknown = await certs(['revoke', 'carol']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("no certificate was issued to 'carol'");
    expect(unknown.stderr).toContain('teachers: alice bob');
  });

  it("re-issues alice's certificate (FORCE=1): the new one gets through, the old one stays refused", async () => {
    const old = path.join(dir, 'alice-old');
    copyFileSync(client('alice') + '.crt', old + '.crt');
    copyFileSync(client('alice') + '.key', old + '.key');
    // A valid certificate of alice's, then a re-issue: the previous one is revoked with it.
    const first = await certs(['teacher', 'alice']);
    expect(first).toMatchObject({ code: 0 });
    const firstSerial = await serialOf(client('alice') + '.crt');
    const reissued = await certs(['teacher', 'alice'], { FORCE: '1' });
    expect(reissued).toMatchObject({ code: 0 });
    expect(reissued.stdout).toContain("revoked alice's 1 previous certificate(s)");
    const newSerial = await serialOf(client('alice') + '.crt');
    expect(
      index()
        .filter((l) => l.endsWith('/CN=alice'))
        .map((l) => l.split('\t')[0] + ' ' + l.split('\t')[3]),
    ).toEqual([expect.stringMatching(/^R /), `R ${firstSerial}`, `V ${newSerial}`]);
    expect(await certs(['push-crl'])).toMatchObject({ code: 0 });
    expect(await greeting('alice')).toBe('hello alice');
    expect(await connect(old + '.crt', old + '.key')).toMatchObject({ code: 1, stdout: '' });
    expect(await greeting('bob')).toBe('hello bob');
  });

  it('renews a CRL near its nextUpdate on `ensure`, keeping the revocations; push-crl loads it', async () => {
    const short = await certs(['crl'], { CRL_DAYS: '2', CRL_RENEW_DAYS: '1' });
    expect(short).toMatchObject({ code: 0 });
    const renewed = await certs([], { CRL_RENEW_DAYS: '7' });
    expect(renewed).toMatchObject({ code: 0 });
    expect(renewed.stdout).toMatch(/crl\.pem expires .* \(within CRL_RENEW_DAYS=7 days\): renewing it/);
    const next = /Next Update: (.+)/.exec(await crlText())![1]!;
    expect(new Date(next).getTime() - Date.now()).toBeGreaterThan(300 * 86_400_000);
    // alice's first certificate and the one FORCE=1 replaced.
    expect((await crlText()).match(/Serial Number:/g)).toHaveLength(2);
    // A CRL with plenty of time left is kept as it is.
    const kept = await certs([]);
    expect(kept.stdout).not.toContain('crl.pem');
    expect(await certs(['push-crl'])).toMatchObject({ code: 0 });
    expect(await greeting('bob')).toBe('hello bob');
  });

  it('push-crl without a running HAProxy exits non-zero and says why', async () => {
    const r = await certs(['push-crl'], { HAPROXY_SOCKET: path.join(dir, 'nothing.sock') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no HAProxy runtime API socket at');
  });

  it('never prints a key', () => {
    expect(printed.join('\n')).not.toMatch(/PRIVATE KEY/);
  });
});
