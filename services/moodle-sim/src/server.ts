/**
 * The simulator's HTTP server (node:http):
 *   GET|POST /webservice/rest/server.php   Moodle's REST endpoint
 *   GET|POST /login/token.php              a user's token for username + password + service
 *   GET      /health                       liveness, JSON
 *   GET      /__sim/stats                  request counts; POST /__sim/stats/reset zeroes them
 *   GET|PUT  /__sim/faults                 read / replace the latency and fault configuration
 *   GET      /__sim/state/grades           every stored assignment grade, and save_grade counters
 *
 * stop() closes the listener, drops open connections (including requests held
 * by the "timeout" fault) and clears every pending timer, so nothing outlives it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@moodle-mcp/common';
import { DEMO_TOKEN, defaultTokens, type TokenSpec } from './auth/tokens.js';
import { Store } from './data/store.js';
import { exceptionBody, MoodleException } from './errors.js';
import { Faults, parseFaultSpec, type FaultConfig, type FaultSpec } from './faults.js';
import { decodeForm } from './http/decode.js';
import { xmlException } from './http/xml.js';
import { Stats, type StatsSnapshot } from './stats.js';
import { handleWsCall, parseWsRequest, type WsAnswer } from './webservice.js';
import { handleTokenLogin, LOGIN_TOKEN_PATH } from './login.js';
import type { PhpArray } from './http/decode.js';

export interface SimOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** Added to every web service answer, ms. */
  latencyMs?: number;
  /** The data set's "now" (ms since epoch); default the current time. */
  now?: number;
  /** Accepted tokens; default `defaultTokens()` (DEMO_TOKEN and the demo teachers' tokens). */
  tokens?: Record<string, TokenSpec>;
  /** Initial faults (latencyMs here overrides the option above). */
  faults?: FaultSpec;
  /** Site debugging: exceptions carry `debuginfo` and the message gets it appended, as with developer debugging. */
  debug?: boolean;
  logger?: Logger;
}

export interface SimHandle {
  /** e.g. http://127.0.0.1:PORT, no trailing slash. */
  url: string;
  port: number;
  /** DEMO_TOKEN unless the token map does not hold it (then its first token). */
  token: string;
  stop(): Promise<void>;
  stats(): StatsSnapshot;
  resetStats(): void;
  setFaults(f: FaultSpec): void;
  faults(): FaultConfig;
  /** The live data store (read-only use in tests). */
  store: Store;
}

export const WS_PATH = '/webservice/rest/server.php';
const MAX_BODY_BYTES = 8 * 1024 * 1024;

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'private, must-revalidate, pre-check=0, post-check=0, max-age=0' });
  res.end(body);
}

const sendJson = (res: http.ServerResponse, status: number, value: unknown): void => send(res, status, 'application/json', JSON.stringify(value));

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startSim(opts: SimOptions = {}): Promise<SimHandle> {
  const store = new Store(opts.now ?? Date.now());
  const tokens = opts.tokens ?? defaultTokens();
  const faults = new Faults({ latencyMs: opts.latencyMs ?? 0, ...opts.faults });
  const stats = new Stats();
  const debug = opts.debug ?? false;
  const timers = new Set<NodeJS.Timeout>();
  const log = opts.logger;
  let wwwroot = '';

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  /** The request's variables as PHP sees them: array_merge($_GET, $_POST), so POST wins for a top-level name. */
  async function requestVars(req: http.IncomingMessage, url: URL): Promise<PhpArray> {
    const vars = decodeForm(url.search.slice(1));
    if (req.method === 'POST' && /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
      for (const [k, v] of decodeForm(await readBody(req))) vars.set(k, v);
    } else if (req.method === 'POST') {
      await readBody(req);
    }
    return vars;
  }

  // The answer carries a token: it is sent, never logged (nor are the username and password).
  async function tokenLogin(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const a = handleTokenLogin(await requestVars(req, url), { tokens, wwwroot, debug });
    send(res, a.status, a.contentType, a.body);
    log?.debug('token login', { status: a.status });
  }

  async function webservice(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const vars = await requestVars(req, url);
    const call = parseWsRequest(vars);
    stats.count(call.wsfunction);
    const mode = faults.pick(call.wsfunction);
    const cfg = faults.current;
    if (mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (mode === 'timeout') return; // Held until the client gives up or stop() drops the connection.
    const answer = (): WsAnswer => {
      if (mode === 'http500') return { status: 500, contentType: 'text/html; charset=utf-8', body: '<!DOCTYPE html><html><body><h1>500 Internal Server Error</h1></body></html>\n' };
      if (mode === 'garbage') return { status: 200, contentType: 'application/json', body: '<html><body>Moodle is being upgraded<br>{"partial":' };
      if (mode === 'exception') {
        const ex = new MoodleException(cfg.exception, cfg.errorcode, cfg.message ?? `Simulated fault: ${cfg.errorcode}`);
        return call.format === 'json'
          ? { status: 200, contentType: 'application/json', body: JSON.stringify(exceptionBody(ex, debug)) }
          : { status: 200, contentType: 'application/xml; charset=utf-8', body: xmlException(ex, debug) };
      }
      return handleWsCall({ store, tokens, wwwroot, debug }, call);
    };
    const delay = cfg.latencyMs + (mode === 'slow' ? cfg.slowMs : 0);
    const respond = (): void => {
      if (res.destroyed) return;
      const a = answer();
      send(res, a.status, a.contentType, a.body);
      log?.debug('ws call', { wsfunction: call.wsfunction, status: a.status, fault: mode });
    };
    if (delay > 0) later(delay, respond);
    else respond();
  }

  async function control(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    if (path === '/health' && req.method === 'GET') return sendJson(res, 200, { status: 'ok', service: 'moodle-sim' });
    if (path === '/__sim/stats' && req.method === 'GET') return sendJson(res, 200, stats.snapshot());
    if (path === '/__sim/stats/reset' && req.method === 'POST') {
      stats.reset();
      return sendJson(res, 200, stats.snapshot());
    }
    if (path === '/__sim/faults' && req.method === 'GET') return sendJson(res, 200, faults.current);
    if (path === '/__sim/faults' && req.method === 'PUT') {
      let spec: unknown;
      try {
        spec = JSON.parse(await readBody(req));
      } catch {
        return sendJson(res, 400, { error: 'body must be JSON' });
      }
      try {
        faults.set(parseFaultSpec(spec));
      } catch (err) {
        return sendJson(res, 400, { error: (err as Error).message });
      }
      return sendJson(res, 200, faults.current);
    }
    if (path === '/__sim/state/grades' && req.method === 'GET') {
      const grades = store.data.grades.map((g) => ({ id: g.id, assignmentid: g.assignment, userid: g.userid, attemptnumber: g.attemptnumber, grade: g.grade, grader: g.grader, feedback: g.feedback, timemodified: g.timemodified }));
      return sendJson(res, 200, { grades, saveGradeCalls: store.saveGradeCalls, stateChanges: store.stateChanges });
    }
    return sendJson(res, 404, { error: `no route ${req.method} ${path}` });
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const getOrPost = req.method === 'GET' || req.method === 'POST';
    const work =
      url.pathname === WS_PATH && getOrPost ? webservice(req, res, url) : url.pathname === LOGIN_TOKEN_PATH && getOrPost ? tokenLogin(req, res, url) : control(req, res, url.pathname);
    work.catch((err: unknown) => {
      log?.error('request failed', { path: url.pathname, error: (err as Error).message });
      sendJson(res, 500, { error: 'internal error' });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  wwwroot = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let stopped: Promise<void> | undefined;

  return {
    url: wwwroot,
    port,
    token: DEMO_TOKEN in tokens ? DEMO_TOKEN : (Object.keys(tokens)[0] ?? DEMO_TOKEN),
    store,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    setFaults: (f) => faults.set(f),
    faults: () => faults.current,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
