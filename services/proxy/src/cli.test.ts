import { execFile } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from './cli.js';

const CLI = path.resolve(__dirname, '../dist/cli.js');
const runCli = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('node', [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('mcpctl arguments', () => {
  it('takes the URL from --url, else PROXY_URL, else the local default', () => {
    expect(parseArgs(['status'], {}).url).toBe('http://127.0.0.1:4000');
    expect(parseArgs(['status'], { PROXY_URL: 'http://10.1.1.1:4000/' }).url).toBe('http://10.1.1.1:4000');
    expect(parseArgs(['--url', 'http://127.0.0.2:4001', 'list', '--json'], { PROXY_URL: 'http://x:1' })).toMatchObject({ url: 'http://127.0.0.2:4001', json: true, command: 'list' });
  });

  it.each([
    [[], /usage: mcpctl/],
    [['reboot'], /unknown command reboot/],
    [['switch'], /switch needs a target name/],
    [['drain'], /drain needs a worker name/],
    [['status', 'extra'], /too many arguments for status/],
    [['drain', 'worker-1', '--force'], /--force goes with switch only/],
    [['--url'], /--url needs a value/],
    [['--url', 'ftp://x', 'status'], /must be an http:\/\/ or https:\/\/ URL/],
    [['--bogus', 'status'], /unknown option --bogus/],
  ])('refuses %j with a message naming the problem', (argv, message) => {
    expect(() => parseArgs(argv as string[], {})).toThrow(message);
  });
});

describe('mcpctl exit codes', () => {
  it('exits 2 with the usage for a bad command, and 2 when a mutating command has no token', async () => {
    const bad = await runCli(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown command frobnicate');
    const noToken = await runCli(['switch', 'standby'], { PROXY_URL: 'http://127.0.0.1:9' });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('PROXY_ADMIN_TOKEN');
  });

  it('exits 3 naming the URL when no proxy answers', async () => {
    const r = await runCli(['status'], { PROXY_URL: 'http://127.0.0.1:9' });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/the proxy at http:\/\/127\.0\.0\.1:9 does not answer/);
  });
});
