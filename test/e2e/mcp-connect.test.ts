import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { RpcCodes } from '@moodle-mcp/common';
import { SEED } from '@moodle-mcp/moodle-sim';
import { haproxyServers } from '../helpers/haproxy.js';
import { resultText } from '../helpers/mcp.js';
import { prepareNativeStack, ROOT, type NativeStack } from '../helpers/nativeStack.js';
import { freePort } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const BRIDGE = path.join(ROOT, 'services/mcp-connect/dist/main.js');

/**
 * mcp-connect, the reconnecting bridge, in place of ncat: the MCP SDK's
 * Client launches it; it talks to the native stack's VIP (real HAProxy, 3
 * workers, Redis, moodle-sim answering slowly so calls are in flight), and
 * to its TLS port, where client certificates are required.
 */
describe('mcp-connect: a client bridge that survives a dying worker', () => {
  let stack: NativeStack;
  let client: Client;
  let stderr = '';
  const sim = () => `http://127.0.0.1:${stack.env.SIM_PORT}`;
  const simRequests = async (): Promise<number> => {
    const s = (await (await fetch(`${sim()}/__sim/stats`)).json()) as { byFunction: Record<string, number> };
    return Object.values(s.byFunction).reduce((a, b) => a + b, 0);
  };
  const setLatency = (latencyMs: number) =>
    fetch(`${sim()}/__sim/faults`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ latencyMs }) });
  const totals = async () => new Map([...(await haproxyServers(stack.socket))].map(([name, s]) => [name, s.stot]));

  beforeAll(async () => {
    stack = await prepareNativeStack({
      workers: 3,
      env: { PROXY: '0', HAPROXY_CHECK_INTER: '500ms', HAPROXY_CHECK_FASTINTER: '200ms', MOODLE_RETRIES: '0', HAPROXY_TLS_VERIFY: 'required' },
    });
    const up = await stack.make('local');
    if (up.code !== 0) throw new Error(`make local failed (${up.code}):\n${up.stdout}\n${up.stderr}`);
  }, 90_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await stack?.down();
  }, 60_000);

  it('retries the reads in flight on another worker and answers the write in flight with "may not have been applied"', async () => {
    const before = await totals();
    const transport = new StdioClientTransport({
      command: 'node',
      args: [BRIDGE, `127.0.0.1:${stack.mcpPort}`],
      stderr: 'pipe',
      env: { ...process.env, MCP_CONNECT_VERBOSE: '1' } as Record<string, string>,
    });
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    client = new Client({ name: 'teacher-via-mcp-connect', version: '1.0.0' });
    await client.connect(transport);
    const tools = await client.listTools();
    expect(tools.tools.find((t) => t.name === 'provide_assignment_feedback')?.annotations?.readOnlyHint).toBeFalsy();
    const after = await totals();
    const held = [...after].find(([name, n]) => n > (before.get(name) ?? 0))![0];

    await setLatency(2_000);
    const sent = await simRequests();
    const reads = [
      client.callTool({ name: 'list_students', arguments: { courseId: SEED.courseId } }),
      client.callTool({ name: 'get_assignments', arguments: { courseId: SEED.courseId } }),
      client.callTool({ name: 'get_quizzes', arguments: { courseId: SEED.courseId } }),
    ];
    const write = client
      .callTool({
        name: 'provide_assignment_feedback',
        arguments: { assignmentId: SEED.assignmentId, userId: SEED.draftStudentId, grade: 71, feedback: 'in flight' },
      })
      .then(
        (r) => ({ ok: true as const, r }),
        (e: unknown) => ({ ok: false as const, e }),
      );
    await waitFor('the four calls to reach Moodle', async () => (await simRequests()) >= sent + 4);
    const i = Number(held.replace('worker-', ''));
    process.kill(stack.workerPid(i), 'SIGKILL');
    await setLatency(0);

    const answered = await Promise.all(reads);
    for (const r of answered) expect(r.isError).toBeFalsy();
    expect((answered[0]!.structuredContent as { users: unknown[] }).users.length).toBeGreaterThan(0);
    const w = await write;
    expect(w.ok).toBe(false);
    expect(w.ok === false && w.e instanceof McpError && w.e.code).toBe(RpcCodes.MAYBE_APPLIED);
    expect(String(w.ok === false && (w.e as Error).message)).toMatch(/may or may not have been applied/);

    // The session goes on, on another worker, without a new initialize by the client.
    const again = await client.callTool({ name: 'get_site_info', arguments: {} });
    expect(resultText(again)).toContain('Riverside Academy');
    expect(stderr).toContain('reconnected; session restored');
    expect(stderr).toMatch(/"resent":3/);
  }, 60_000);

  it("serves alice's certificate on HAProxy's TLS port, and reports HAProxy's refusal of a bridge without one", async () => {
    expect(await stack.make('certs', 'TEACHER=alice')).toMatchObject({ code: 0 });
    const file = (f: string) => path.join(stack.certDir, f);
    const bridge = (name: string, args: string[]) => {
      const c = new Client({ name, version: '1.0.0' });
      const t = new StdioClientTransport({
        command: 'node',
        args: [BRIDGE, '--ssl', '--ssl-verify', '--ssl-trustfile', file('ca.pem'), ...args, '127.0.0.1', String(stack.tlsPort)],
        stderr: 'pipe',
      });
      return { c, connect: () => c.connect(t) };
    };
    const alice = bridge('alice-via-mcp-connect', ['--ssl-cert', file('clients/alice.crt'), '--ssl-key', file('clients/alice.key')]);
    try {
      await alice.connect();
      expect(resultText(await alice.c.callTool({ name: 'get_site_info', arguments: {} }))).toContain('Riverside Academy');
    } finally {
      await alice.c.close();
    }
    const anonymous = bridge('no-certificate', ['--give-up-after', '1']);
    await expect(anonymous.connect()).rejects.toThrow(
      /the MCP server cannot be reached: TLS handshake failed: the server requires a client certificate: give one with --ssl-cert and --ssl-key/,
    );
    await anonymous.c.close();
  }, 30_000);

  it('tells the client and exits 1 when the server stays unreachable', async () => {
    const port = await freePort(); // nothing listens there
    const child = spawn('node', [BRIDGE, `127.0.0.1:${port}`, '--give-up-after', '1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stdin.write(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }) + '\n',
    );
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(JSON.parse(out.trim())).toMatchObject({ id: 1, error: { message: expect.stringMatching(/cannot be reached/) } });
  }, 20_000);

  it('refuses bad arguments with exit code 2 and the usage', async () => {
    const child = spawn('node', [BRIDGE, 'no-port-here'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(2);
    expect(err).toMatch(/expected HOST:PORT/);
  });
});

/**
 * Certificates the way scripts/certs.sh makes them, with openssl in a temp
 * dir: a CA; a server certificate for localhost and 127.0.0.1; client
 * certificates (CN = teacher) signed by the CA; and a second CA with a
 * certificate of its own, which the first CA's clients do not trust.
 */
function makeCertificates(dir: string): { file: (name: string) => string } {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const key = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(`${name}.key`));
  const ca = (name: string) => {
    key(name);
    writeFileSync(
      file(`${name}.cnf`),
      '[req]\ndistinguished_name = dn\n[dn]\n[v3]\nbasicConstraints = critical,CA:TRUE,pathlen:0\nkeyUsage = critical,keyCertSign,cRLSign\n',
    );
    openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      file(`${name}.key`),
      '-subj',
      `/O=mcp-connect test/CN=${name}`,
      '-days',
      '2',
      '-config',
      file(`${name}.cnf`),
      '-extensions',
      'v3',
      '-out',
      file(`${name}.pem`),
    );
  };
  const sign = (name: string, by: string, ext: string) => {
    key(name);
    writeFileSync(file(`${name}.ext`), ext);
    openssl('req', '-new', '-key', file(`${name}.key`), '-subj', `/O=mcp-connect test/CN=${name}`, '-out', file(`${name}.csr`));
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file(`${by}.pem`),
      '-CAkey',
      file(`${by}.key`),
      '-set_serial',
      String(Date.now()),
      '-days',
      '2',
      '-sha256',
      '-extfile',
      file(`${name}.ext`),
      '-out',
      file(`${name}.crt`),
    );
  };
  ca('ca');
  ca('other-ca');
  sign(
    'server',
    'ca',
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
  );
  const client = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
  sign('alice', 'ca', client);
  sign('mallory', 'other-ca', client);
  return { file };
}

/**
 * mcp-connect over TLS against a real TLS server (node's tls, TLS 1.3,
 * client certificates required as HAPROXY_TLS_VERIFY=required has them)
 * serving an MCP server of the SDK on each connection; the SDK's own Client
 * launches the bridge with ncat's options.
 */
describe('mcp-connect over TLS, with a client certificate', () => {
  let certs: { file: (name: string) => string };
  let dir: string;
  let server: tls.Server;
  let port: number;
  /** Every connection that completed the handshake, with its client's CN. */
  const connections: { socket: tls.TLSSocket; cn: string }[] = [];
  let refusedHandshakes = 0;
  /** While true, `held_read` waits (a read in flight); `release` lets them all answer. */
  let holding = false;
  let heldCalls = 0;
  const waiting: (() => void)[] = [];
  const release = () => waiting.splice(0).forEach((w) => w());
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-connect-tls-'));
    certs = makeCertificates(dir);
    const read = (name: string) => readFileSync(certs.file(name));
    server = tls.createServer(
      { key: read('server.key'), cert: read('server.crt'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' },
      (socket) => {
        const cn = String(socket.getPeerCertificate().subject?.CN ?? '');
        const n = connections.push({ socket, cn });
        const mcp = new McpServer({ name: 'tls-test-server', version: '1.0.0' });
        mcp.registerTool('whoami', { description: "The client certificate's CN", annotations: { readOnlyHint: true } }, () => ({
          content: [{ type: 'text', text: `${cn} on connection ${n}` }],
        }));
        mcp.registerTool('held_read', { description: 'A read that waits while the test holds it', annotations: { readOnlyHint: true } }, async () => {
          heldCalls++;
          if (holding) await new Promise<void>((r) => waiting.push(r));
          return { content: [{ type: 'text', text: `read answered for ${cn} on connection ${n}` }] };
        });
        socket.on('error', () => undefined);
        socket.on('close', () => void mcp.close().catch(() => undefined));
        void mcp.connect(new StdioServerTransport(socket, socket));
      },
    );
    server.on('tlsClientError', () => refusedHandshakes++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    release();
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    for (const c of connections) c.socket.destroy();
    await new Promise((r) => server?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const tlsArgs = (who?: string, trust = 'ca.pem') => [
    '--ssl',
    '--ssl-verify',
    '--ssl-trustfile',
    certs.file(trust),
    ...(who ? ['--ssl-cert', certs.file(`${who}.crt`), '--ssl-key', certs.file(`${who}.key`)] : []),
    '127.0.0.1',
    String(port),
  ];
  /** The SDK Client launching `command args` (the bridge), with the bridge's stderr collected. */
  const launch = (command: string, args: string[]) => {
    const transport = new StdioClientTransport({ command, args, stderr: 'pipe', env: { ...process.env, MCP_CONNECT_VERBOSE: '1' } as Record<string, string> });
    const log = { text: '' };
    transport.stderr?.on('data', (c: Buffer) => (log.text += c.toString()));
    const client = new Client({ name: 'teacher-over-tls', version: '1.0.0' });
    clients.push(client);
    const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
    return { client, transport, log, closed, connect: () => client.connect(transport) };
  };

  it("serves the SDK Client through the bridge over TLS with alice's certificate (ncat's options); the server sees CN=alice", async () => {
    const { client, connect } = launch('node', [BRIDGE, ...tlsArgs('alice')]);
    await connect();
    expect(resultText(await client.callTool({ name: 'whoami', arguments: {} }))).toMatch(/^alice on connection \d+$/);
    await client.close();
  });

  it('reconnects over TLS with the same certificate when the server closes the connection, and re-sends the read in flight', async () => {
    const { client, log, connect } = launch('node', [BRIDGE, ...tlsArgs('alice')]);
    await connect();
    await client.listTools(); // the bridge learns that held_read is a read
    const first = connections.length;
    holding = true;
    const calls = heldCalls;
    const read = client.callTool({ name: 'held_read', arguments: {} });
    await waitFor('the read to reach the server', () => heldCalls > calls);
    holding = false;
    connections[first - 1]!.socket.destroy();
    release();
    expect(resultText(await read)).toBe(`read answered for alice on connection ${first + 1}`);
    expect(connections.slice(first - 1).map((c) => c.cn)).toEqual(['alice', 'alice']);
    expect(log.text).toContain('reconnected; session restored');
    expect(log.text).toMatch(/"resent":1/);
    expect(resultText(await client.callTool({ name: 'whoami', arguments: {} }))).toBe(`alice on connection ${first + 1}`);
    await client.close();
  });

  it('is refused by a server that requires a client certificate when it has none: says why on stderr and in the answer, and gives up', async () => {
    const before = refusedHandshakes;
    const { log, connect, closed } = launch('node', [BRIDGE, ...tlsArgs(), '--give-up-after', '2']);
    const started = Date.now();
    const err = await connect().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(McpError);
    expect(err!.message).toMatch(
      /TLS handshake failed: the server requires a client certificate: give one with --ssl-cert and --ssl-key \[ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED/,
    );
    await closed; // the bridge exited
    expect(Date.now() - started).toBeLessThan(10_000);
    const errors = log.text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; message: string })
      .filter((l) => l.level === 'error');
    expect(errors[0]!.message).toMatch(/^TLS handshake failed: the server requires a client certificate/);
    expect(errors.at(-1)!.message).toBe('giving up: the server cannot be reached');
    // Retries back off (50 ms doubling to 1 s): a handful in 2 s, not a loop.
    expect(refusedHandshakes - before).toBeGreaterThan(1);
    expect(refusedHandshakes - before).toBeLessThan(15);
  });

  it('refuses a server whose certificate is not signed by the CA it trusts, and a client certificate of another CA is refused', async () => {
    const untrusting = launch('node', [BRIDGE, ...tlsArgs('alice', 'other-ca.pem'), '--give-up-after', '1']);
    await expect(untrusting.connect()).rejects.toThrow(
      /TLS handshake failed: the server's certificate is not signed by a CA this computer trusts: give the stack's CA with --ssl-trustfile/,
    );
    const stranger = launch('node', [BRIDGE, ...tlsArgs('mallory'), '--give-up-after', '1']);
    // Node's TLS server checks a presented certificate after the handshake and closes without an alert (HAProxy sends one).
    await expect(stranger.connect()).rejects.toThrow(
      /the MCP server cannot be reached: the server closed the connection after the TLS handshake, before answering \(it may have refused this client certificate\)/,
    );
  });

  it('refuses a missing or non-PEM TLS file at start with exit code 2, naming the option', async () => {
    const child = spawn(
      'node',
      [
        BRIDGE,
        '--ssl-trustfile',
        certs.file('nope.pem'),
        '--ssl-cert',
        certs.file('alice.csr'),
        '--ssl-key',
        certs.file('alice.key'),
        '127.0.0.1',
        String(port),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(2);
    expect(err).toContain(`mcp-connect: --ssl-trustfile: ${certs.file('nope.pem')} does not exist`);
    expect(err).toContain(`mcp-connect: --ssl-cert: ${certs.file('alice.csr')} is not a PEM certificate file`);
  });

  it('packs into moodle-mcp-connect-<version>.tgz that installs offline with npm install -g and runs as mcp-connect', async () => {
    const out = path.join(dir, 'pack');
    const tgz = execFileSync('node', [path.join(ROOT, 'services/mcp-connect/scripts/pack.mjs'), '--out', out], { encoding: 'utf8' }).trim();
    expect(path.basename(tgz)).toBe('moodle-mcp-connect-0.1.0.tgz');
    const prefix = path.join(dir, 'prefix');
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tgz], { stdio: 'pipe', timeout: 60_000 });
    const installed = process.platform === 'win32' ? path.join(prefix, 'mcp-connect.cmd') : path.join(prefix, 'bin', 'mcp-connect');
    const { client, connect } = launch(installed, tlsArgs('alice'));
    await connect();
    expect(resultText(await client.callTool({ name: 'whoami', arguments: {} }))).toMatch(/^alice on connection \d+$/);
    await client.close();
  }, 90_000);
});
