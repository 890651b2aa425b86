import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { RpcCodes } from '@moodle-mcp/common';
import { connectViaNcat, resultText } from '../helpers/mcp.js';
import { prepareNativeStack, ROOT, run, workerLogLines, type NativeStack, type RunResult } from '../helpers/nativeStack.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The transport side of the stack's security, over the native runner: TLS on
 * TLS_PORT terminated by HAProxy with client certificates required, the
 * client's identity and real address carried to the workers by PROXY
 * protocol v2 (workers run with PROXY_PROTOCOL=required), HAProxy's limits per
 * source address, and the workers' calls-per-second limit per session.
 * Clients are the MCP SDK's Client over `ncat --ssl`, and raw sockets.
 * Sources 127.0.0.2 and 127.0.0.3 have limits of their own (per address).
 */
const SRC_MAXCONN = 5;
const SRC_CONN_RATE = 20;
const CALL_RATE = 2;

describe('TLS, client identity and limits (native stack)', () => {
  let stack: NativeStack;
  let up: RunResult;
  let teacher: RunResult;
  const clients = new Set<Client>();
  const sockets = new Set<net.Socket>();

  const ca = () => path.join(stack.certDir, 'ca.pem');
  const tlsOptions = (who?: string, trustfile = ca()) => [
    '--ssl',
    '--ssl-verify',
    '--ssl-trustfile',
    trustfile,
    ...(who ? ['--ssl-cert', path.join(stack.certDir, 'clients', `${who}.crt`), '--ssl-key', path.join(stack.certDir, 'clients', `${who}.key`)] : []),
  ];
  const connect = async (port: number, name: string, ncatOptions: string[] = []) => {
    const c = await connectViaNcat('127.0.0.1', port, name, ncatOptions);
    clients.add(c);
    return c;
  };
  const disconnect = async (c: Client) => {
    clients.delete(c);
    await c.close().catch(() => undefined);
  };
  const workerLogs = () => workerLogLines(stack.runDir);

  /** A raw connection to the plain VIP from `localAddress`: the lines it receives, and whether it was closed. */
  const rawConnect = (localAddress: string) =>
    new Promise<{ socket: net.Socket; lines: string[]; closed: () => boolean }>((resolve, reject) => {
      const lines: string[] = [];
      let closed = false;
      let buf = '';
      const socket = net.connect({ host: '127.0.0.1', port: stack.mcpPort, localAddress }, () => resolve({ socket, lines, closed: () => closed }));
      sockets.add(socket);
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          lines.push(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
      socket.on('close', () => (closed = true));
      socket.on('error', reject);
    });
  /**
   * One `ncat OPTIONS 127.0.0.1 TLS_PORT` run that sends `input` and EOF, bounded:
   * what it printed and its exit code. (A TLS 1.3 server refuses a missing
   * client certificate after the client's side of the handshake, so the SDK
   * Client would only see its request time out; ncat's own output says more.)
   */
  const ncatOnce = (options: string[], input: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn('ncat', [...options, '127.0.0.1', String(stack.tlsPort)]);
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d));
      p.stderr.on('data', (d: Buffer) => (stderr += d));
      const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      p.stdin.end(input);
    });
  const INITIALIZE = JSON.stringify({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }) + '\n';

  beforeAll(async () => {
    stack = await prepareNativeStack({
      workers: 2,
      allowlist: ['127.0.0.0/8'],
      env: {
        HAPROXY_TLS_VERIFY: 'required',
        HAPROXY_SRC_MAXCONN: String(SRC_MAXCONN),
        HAPROXY_SRC_CONN_RATE: String(SRC_CONN_RATE),
        SESSION_CALL_RATE: String(CALL_RATE),
        SESSION_CALL_BURST: String(CALL_RATE),
        PROXY_HEALTH_INTERVAL_MS: '500',
        DRAIN_TIMEOUT_MS: '2000',
      },
    });
    up = await stack.make('local');
    if (up.code !== 0) throw new Error(`make local failed (${up.code}):\n${up.stdout}\n${up.stderr}`);
    teacher = await stack.make('certs', 'TEACHER=alice');
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all([...clients].map((c) => c.close().catch(() => undefined)));
    await stack?.down();
  }, 60_000);

  it('makes a CA and a server certificate on the first start, and make certs TEACHER=alice a client certificate; keys mode 600', () => {
    expect(up.stdout).toContain(`TLS: 127.0.0.1:${stack.tlsPort} (client certificates: required`);
    expect(teacher).toMatchObject({ code: 0 });
    expect(teacher.stdout).toContain(`"--ssl-cert", "alice.crt", "--ssl-key", "alice.key", "127.0.0.1", "${stack.tlsPort}"`);
    for (const key of ['ca.key', 'server.pem', 'clients/alice.key']) expect(statSync(path.join(stack.certDir, key)).mode & 0o777).toBe(0o600);
    expect(statSync(stack.certDir).mode & 0o777).toBe(0o700);
    const text = (file: string) => execFileSync('openssl', ['x509', '-in', path.join(stack.certDir, file), '-noout', '-subject', '-ext', 'subjectAltName,extendedKeyUsage'], { encoding: 'utf8' });
    expect(text('server.pem')).toMatch(/DNS:localhost.*IP Address:127\.0\.0\.1/s);
    expect(text('clients/alice.crt')).toMatch(/CN ?= ?alice[\s\S]*TLS Web Client Authentication/);
    expect(execFileSync('openssl', ['verify', '-CAfile', ca(), path.join(stack.certDir, 'clients/alice.crt')], { encoding: 'utf8' })).toContain('OK');
  });

  it("serves the SDK Client over ncat --ssl with alice's certificate; the worker logs the call with her CN and 127.0.0.1", async () => {
    const alice = await connect(stack.tlsPort, 'alice', tlsOptions('alice'));
    const r = await alice.callTool({ name: 'get_courses', arguments: { perPage: 2 } });
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as { courses: unknown[] }).courses).toHaveLength(2);
    const line = await waitFor("the worker's log line of alice's call", () => workerLogs().find((l) => l.message === 'tool call' && l.clientCn === 'alice'));
    expect(line).toMatchObject({ clientAddress: '127.0.0.1', clientCn: 'alice', tool: 'get_courses', outcome: 'ok', tls: expect.stringMatching(/^TLSv1\.[23]$/) });
    await disconnect(alice);
  });

  it('refuses a TLS client without a certificate (verify required), and a client that does not trust the server', async () => {
    const withCert = await ncatOnce(tlsOptions('alice'), INITIALIZE);
    expect(withCert.stdout).toContain('"serverInfo"');
    const noCert = await ncatOnce(tlsOptions(), INITIALIZE);
    expect(noCert.stdout).toBe('');
    // A client that trusts another CA (with alice's certificate, so only its check of the server fails).
    // (Its own RUN_DIR: scripts/certs.sh follows the running stack's CERT_DIR otherwise.)
    const otherCa = path.join(stack.runDir, 'other-ca');
    const made = await run('bash', [path.join(ROOT, 'scripts/certs.sh')], { ...stack.env, CERT_DIR: otherCa, RUN_DIR: path.join(stack.runDir, 'other-run') });
    expect(made).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(otherCa, 'ca.pem'), 'utf8')).not.toBe(readFileSync(ca(), 'utf8'));
    const wrongTrust = await ncatOnce(tlsOptions('alice', path.join(otherCa, 'ca.pem')), INITIALIZE);
    expect(wrongTrust.stdout).toBe('');
    expect(wrongTrust.code).not.toBe(0);
    expect(workerLogs().filter((l) => l.message === 'tool call' && l.clientCn !== undefined && l.clientCn !== 'alice')).toEqual([]);
  });

  it("gives the worker a plain client's real address, with no CN", async () => {
    const { socket, lines } = await rawConnect('127.0.0.2');
    socket.write(INITIALIZE + '{"jsonrpc":"2.0","method":"notifications/initialized"}\n{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_site_info","arguments":{}}}\n');
    await waitFor('the answer to the call', () => lines.some((l) => l.includes('"id":1')));
    const line = await waitFor('the log line from 127.0.0.2', () => workerLogs().find((l) => l.message === 'tool call' && l.clientAddress === '127.0.0.2'));
    expect(line.clientCn).toBeUndefined();
    expect(line.tls).toBeUndefined();
    socket.destroy();
  });

  it('answers calls over the per-session rate with -32029 and when to retry, at once', async () => {
    const alice = await connect(stack.tlsPort, 'alice-burst', tlsOptions('alice'));
    const started = Date.now();
    const results = await Promise.allSettled(Array.from({ length: CALL_RATE + 2 }, () => alice.callTool({ name: 'get_site_info', arguments: {} })));
    expect(Date.now() - started).toBeLessThan(5_000);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as McpError);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(CALL_RATE);
    expect(refused).toHaveLength(2);
    for (const e of refused) {
      expect(e).toBeInstanceOf(McpError);
      expect(e.code).toBe(RpcCodes.RATE_LIMITED);
      expect(e.message).toMatch(new RegExp(`rate limited: ${CALL_RATE} calls/s per session \\(bursts of ${CALL_RATE}\\); retry in \\d+ ms`));
    }
    const retryMs = (refused[0]!.data as { retryAfterMs: number }).retryAfterMs;
    await new Promise((r) => setTimeout(r, retryMs));
    expect(resultText(await alice.callTool({ name: 'get_site_info', arguments: {} }))).toBeTruthy();
    await disconnect(alice);
  });

  it(`refuses connection ${SRC_MAXCONN + 1} from one address with a JSON-RPC error line (-32029), and takes one again once one closes`, async () => {
    const open = [];
    for (let i = 0; i < SRC_MAXCONN; i++) {
      const c = await rawConnect('127.0.0.2');
      c.socket.write(INITIALIZE);
      await waitFor(`session ${i + 1} to answer`, () => c.lines.length > 0);
      open.push(c);
    }
    const over = await rawConnect('127.0.0.2');
    await waitFor('the refusal', () => over.lines.length > 0 && over.closed());
    expect(JSON.parse(over.lines[0]!)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: RpcCodes.RATE_LIMITED, message: `Connection refused: too many connections from 127.0.0.2: at most ${SRC_MAXCONN} open at once per address; close some and try again` },
    });
    // Another address is not affected.
    const neighbour = await rawConnect('127.0.0.4');
    neighbour.socket.write(INITIALIZE);
    await waitFor('the neighbour to be served', () => neighbour.lines.some((l) => l.includes('"serverInfo"')));
    open[0]!.socket.destroy();
    await waitFor('a slot to come back', async () => {
      const again = await rawConnect('127.0.0.2');
      again.socket.write(INITIALIZE);
      await waitFor('an answer', () => again.lines.length > 0, { timeoutMs: 2_000 });
      again.socket.destroy();
      return again.lines[0]!.includes('"serverInfo"');
    });
    for (const c of [...open, neighbour]) c.socket.destroy();
  });

  it(`refuses new connections over ${SRC_CONN_RATE} per 10 s from one address`, async () => {
    const answers: string[] = [];
    for (let i = 0; i < SRC_CONN_RATE + 1; i++) {
      const c = await rawConnect('127.0.0.3');
      c.socket.write(INITIALIZE);
      await waitFor(`connection ${i + 1} to be answered`, () => c.lines.length > 0);
      answers.push(c.lines[0]!);
      c.socket.destroy();
    }
    expect(answers.slice(0, SRC_CONN_RATE).every((a) => a.includes('"serverInfo"'))).toBe(true);
    expect(answers[SRC_CONN_RATE]).toContain(`too many new connections from 127.0.0.3: at most ${SRC_CONN_RATE} per 10 s per address`);
  }, 30_000);

  it("keeps HAProxy's checks and the proxy's deep checks (PROXY v2 LOCAL) green, and haproxy -c passes with TLS", async () => {
    const health = await waitFor('the proxy to report every worker healthy', async () => {
      const body = (await (await fetch(`http://127.0.0.1:${stack.proxyPort}/health`)).json()) as { targets: { workers: { status: string }[] }[] };
      const statuses = body.targets.flatMap((t) => t.workers.map((w) => w.status));
      return statuses.length === 2 && statuses.every((s) => s === 'up') ? statuses : undefined;
    });
    expect(health).toHaveLength(2);
    expect(workerLogs().filter((l) => l.message === 'connection refused: PROXY protocol header')).toEqual([]);
    const check = await stack.local('check-config');
    expect(check).toMatchObject({ code: 0 });
  });
});
