#!/usr/bin/env node
/**
 * mcpctl — the operator's command line for the proxy.
 *
 *   mcpctl [--url URL] [--json] status | list | health | switch TARGET [--force] | drain WORKER | enable WORKER
 *
 * URL: --url, else PROXY_URL, else http://127.0.0.1:4000. Mutating commands
 * send PROXY_ADMIN_TOKEN (or the contents of PROXY_ADMIN_TOKEN_FILE).
 * Exit codes: 0 done / healthy; 1 refused by the proxy (or `health`: the
 * active target is unhealthy); 2 usage error; 3 proxy unreachable.
 */
import { readFileSync } from 'node:fs';

const USAGE = `usage: mcpctl [--url URL] [--json] <command>
commands:
  status                 active target, since when and why; health of every target
  list                   every worker: target, status, latency, drained, last error
  health                 exit 0 if the active target is healthy, 1 if not
  switch TARGET [--force]  make TARGET active (--force: even when unhealthy)
  drain WORKER           no new sessions for WORKER; its open sessions go on
  enable WORKER          let WORKER take new sessions again
environment: PROXY_URL, PROXY_ADMIN_TOKEN or PROXY_ADMIN_TOKEN_FILE (switch, drain, enable)`;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

interface Args {
  url: string;
  json: boolean;
  force: boolean;
  command: string;
  operand?: string;
}

export function parseArgs(argv: string[], env: Record<string, string | undefined>): Args {
  const rest: string[] = [];
  let url = env.PROXY_URL || 'http://127.0.0.1:4000';
  let json = false;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--force') force = true;
    else if (a === '--url') {
      const v = argv[++i];
      if (!v) throw new CliError('--url needs a value, e.g. --url http://127.0.0.1:4000', 2);
      url = v;
    } else if (a === '-h' || a === '--help') throw new CliError(USAGE, 0);
    else if (a.startsWith('-')) throw new CliError(`unknown option ${a}\n${USAGE}`, 2);
    else rest.push(a);
  }
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new CliError(`--url / PROXY_URL must be an http:// or https:// URL, got ${url}`, 2);
  }
  const [command, operand, ...extra] = rest;
  if (!command) throw new CliError(USAGE, 2);
  const needs: Record<string, boolean> = { status: false, list: false, health: false, switch: true, drain: true, enable: true };
  if (!(command in needs)) throw new CliError(`unknown command ${command}\n${USAGE}`, 2);
  if (needs[command] && !operand) throw new CliError(`${command} needs a ${command === 'switch' ? 'target' : 'worker'} name\n${USAGE}`, 2);
  if ((!needs[command] && operand) || extra.length) throw new CliError(`too many arguments for ${command}\n${USAGE}`, 2);
  if (force && command !== 'switch') throw new CliError('--force goes with switch only', 2);
  return { url: url.replace(/\/+$/, ''), json, force, command, operand };
}

function adminToken(env: Record<string, string | undefined>): string {
  if (env.PROXY_ADMIN_TOKEN) return env.PROXY_ADMIN_TOKEN;
  if (env.PROXY_ADMIN_TOKEN_FILE) {
    try {
      return readFileSync(env.PROXY_ADMIN_TOKEN_FILE, 'utf8').trim();
    } catch (err) {
      throw new CliError(`PROXY_ADMIN_TOKEN_FILE: cannot read ${env.PROXY_ADMIN_TOKEN_FILE} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 2);
    }
  }
  throw new CliError('this command changes the stack: set PROXY_ADMIN_TOKEN (or PROXY_ADMIN_TOKEN_FILE)', 2);
}

async function api(args: Args, method: 'GET' | 'POST', path: string, token?: string, body?: unknown): Promise<any> {
  let res: Response;
  try {
    res = await fetch(`${args.url}${path}`, {
      method,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new CliError(`the proxy at ${args.url} does not answer (${cause}); is it running? (make local, or --url / PROXY_URL)`, 3);
  }
  const text = await res.text();
  let data: any;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CliError(`the proxy answered HTTP ${res.status} with something that is not JSON`, 1);
  }
  if (!res.ok) throw new CliError(`refused (HTTP ${res.status} ${data.error ?? ''}): ${data.message ?? text}`, 1);
  return data;
}

const pad = (s: unknown, n: number) => String(s ?? '-').padEnd(n);

function printStatus(s: any): void {
  console.log(`active target: ${s.active.target} since ${s.active.since} (${s.active.reason})`);
  console.log(`failover after ${s.failoverThreshold} failed checks; failback ${s.failback.policy}; HTTP sessions ${s.httpSessions ?? 0}`);
  console.log('');
  console.log(`  ${pad('TARGET', 12)}${pad('PRIORITY', 10)}${pad('HEALTH', 11)}${pad('WORKERS', 10)}ACTIVE`);
  for (const t of s.targets) console.log(`  ${pad(t.name, 12)}${pad(t.priority, 10)}${pad(t.healthy ? 'healthy' : 'UNHEALTHY', 11)}${pad(`${t.passing}/${t.workers.length}`, 10)}${t.name === s.active.target ? 'yes' : ''}`);
}

function printWorkers(s: any): void {
  console.log(`  ${pad('WORKER', 12)}${pad('TARGET', 10)}${pad('STATUS', 9)}${pad('LATENCY', 9)}${pad('DRAINED', 9)}LAST ERROR`);
  for (const t of s.targets)
    for (const w of t.workers) console.log(`  ${pad(w.name, 12)}${pad(t.name, 10)}${pad(w.status, 9)}${pad(w.latencyMs === undefined ? '-' : `${w.latencyMs}ms`, 9)}${pad(w.drained ? 'yes' : 'no', 9)}${w.status === 'down' ? (w.lastError ?? '') : ''}`);
}

export async function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const args = parseArgs(argv, env);
  const out = (data: unknown, human: () => void) => (args.json ? console.log(JSON.stringify(data, null, 2)) : human());
  switch (args.command) {
    case 'status': {
      const s = await api(args, 'GET', '/api/proxy/status');
      out({ active: s.active, targets: s.targets.map((t: any) => ({ name: t.name, priority: t.priority, healthy: t.healthy, passing: t.passing, workers: t.workers.length })) }, () => printStatus(s));
      return 0;
    }
    case 'list': {
      const s = await api(args, 'GET', '/api/proxy/status');
      out(s.targets.flatMap((t: any) => t.workers), () => printWorkers(s));
      return 0;
    }
    case 'health': {
      const s = await api(args, 'GET', '/api/proxy/status');
      const active = s.targets.find((t: any) => t.name === s.active.target);
      out({ active: s.active.target, healthy: active.healthy, targets: s.targets.map((t: any) => ({ name: t.name, healthy: t.healthy })) }, () => {
        printStatus(s);
        console.log('');
        printWorkers(s);
      });
      return active.healthy ? 0 : 1;
    }
    case 'switch': {
      const s = await api(args, 'POST', '/api/proxy/switch', adminToken(env), { target: args.operand, ...(args.force ? { force: true } : {}) });
      out(s.active, () => console.log(`active target is now ${s.active.target} (${s.active.reason})`));
      return 0;
    }
    default: {
      const verb = args.command as 'drain' | 'enable';
      const r = await api(args, 'POST', `/api/proxy/workers/${encodeURIComponent(args.operand!)}/${verb}`, adminToken(env));
      out(r.worker, () => console.log(`${r.worker.name}: ${verb === 'drain' ? 'drained (open sessions go on; no new ones)' : 'enabled (takes new sessions)'}`));
      return 0;
    }
  }
}

if (require.main === module) {
  run(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof CliError) {
        (err.exitCode === 0 ? process.stdout : process.stderr).write(`${err.exitCode === 0 ? '' : 'mcpctl: '}${err.message}\n`);
        process.exit(err.exitCode);
      }
      process.stderr.write(`mcpctl: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
