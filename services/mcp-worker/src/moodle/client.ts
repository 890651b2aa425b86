import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, isAxiosError, isCancel } from 'axios';
import { encodeMoodleParams } from './encode.js';
import { isMoodleException, mapMoodleException } from './errorMap.js';
import { MoodleError } from './errors.js';
import type { MoodleApi, MoodleCallOptions, MoodleParams } from './types.js';

export interface MoodleClientOptions {
  /** Site root, e.g. https://moodle.school.example (no /webservice/... suffix). */
  baseUrl: string;
  /** Secret. The default token of every call (per-teacher mode: none; each call brings its teacher's). */
  token?: string;
  /** Per attempt, in milliseconds. */
  timeoutMs?: number;
  /** Keep-alive sockets per Moodle host. */
  maxSockets?: number;
  /** Extra attempts for reads after a transient failure (never for writes). */
  retries?: number;
  /** First backoff delay in ms; doubles per attempt, with jitter. */
  retryBaseMs?: number;
  /** Called once per HTTP attempt, for metrics. */
  onAttempt?: (wsfunction: string, outcome: string, seconds: number) => void;
}

const REST_PATH = '/webservice/rest/server.php';

/**
 * Moodle's REST protocol over axios with keep-alive agents. Every request is
 * `POST {baseUrl}/webservice/rest/server.php` with `wstoken`, `wsfunction`,
 * `moodlewsrestformat=json` (Moodle answers XML without it) and the encoded
 * parameters. Failures become MoodleErrors whose messages never contain the
 * token (axios errors, which carry the request body, are never passed on).
 */
export class MoodleClient implements MoodleApi {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly http: AxiosInstance;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly timeoutMs: number;
  private readonly onAttempt?: MoodleClientOptions['onAttempt'];
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(opts: MoodleClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token ?? '';
    this.retries = opts.retries ?? 2;
    this.retryBaseMs = opts.retryBaseMs ?? 200;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.onAttempt = opts.onAttempt;
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 64, maxFreeSockets: opts.maxSockets ?? 64 };
    this.agents = { http: new http.Agent(agentOpts), https: new https.Agent(agentOpts) };
    this.http = axios.create({
      baseURL: this.baseUrl,
      timeout: this.timeoutMs,
      httpAgent: this.agents.http,
      httpsAgent: this.agents.https,
      responseType: 'text',
      // Decode ourselves: a non-JSON body is a finding, not a crash.
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxRedirects: 0,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    });
  }

  async call<T = unknown>(wsfunction: string, params: MoodleParams, opts: MoodleCallOptions = {}): Promise<T> {
    const attempts = opts.write ? 1 : 1 + this.retries;
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.attempt(wsfunction, params, opts.signal, opts.token ?? this.token)) as T;
      } catch (err) {
        if (opts.write && err instanceof MoodleError && maybeApplied(err)) {
          throw new MoodleError(err.kind, wsfunction, `${err.message}. The change may or may not have been applied: read it back before trying again.`, { status: err.status, cause: err });
        }
        const retryable = err instanceof MoodleError && err.transient && attempt < attempts && !opts.signal?.aborted;
        if (!retryable) throw err;
        await backoff(this.retryBaseMs * 2 ** (attempt - 1), opts.signal);
      }
    }
  }

  /** Frees the keep-alive sockets. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private async attempt(wsfunction: string, params: MoodleParams, signal: AbortSignal | undefined, token: string): Promise<unknown> {
    const redact = (s: string): string => (token && s.includes(token) ? s.split(token).join('[redacted]') : s);
    const body = new URLSearchParams({ wstoken: token, wsfunction, moodlewsrestformat: 'json' });
    encodeMoodleParams(params, body);
    const started = process.hrtime.bigint();
    let outcome = 'ok';
    try {
      const res = await this.http.post<string>(REST_PATH, body.toString(), { signal });
      if (res.status !== 200) {
        outcome = 'http_error';
        throw new MoodleError('http_error', wsfunction, `Moodle answered HTTP ${res.status} to ${wsfunction}`, { status: res.status });
      }
      let decoded: unknown;
      try {
        decoded = JSON.parse(res.data);
      } catch {
        outcome = 'bad_response';
        const preview = redact(String(res.data).slice(0, 80)).replace(/\s+/g, ' ');
        throw new MoodleError(
          'bad_response',
          wsfunction,
          `Moodle's answer to ${wsfunction} is not JSON (starts with "${preview}"); is MOODLE_URL the site root and the REST protocol enabled?`,
        );
      }
      if (isMoodleException(decoded)) {
        outcome = 'moodle_error';
        throw mapMoodleException(wsfunction, decoded, redact);
      }
      return decoded;
    } catch (err) {
      if (err instanceof MoodleError) throw err;
      const mapped = this.transportError(wsfunction, err, signal);
      outcome = mapped.kind;
      throw mapped;
    } finally {
      this.onAttempt?.(wsfunction, outcome, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /** Network-level failures, described without the request (which holds the token). */
  private transportError(wsfunction: string, err: unknown, signal?: AbortSignal): MoodleError {
    if (isCancel(err) || signal?.aborted) return new MoodleError('aborted', wsfunction, `The call to ${wsfunction} was cancelled`);
    const code = isAxiosError(err) ? err.code : undefined;
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
      return new MoodleError('timeout', wsfunction, `Moodle did not answer ${wsfunction} within ${this.timeoutMs} ms`);
    }
    const host = safeHost(this.baseUrl);
    return new MoodleError('unreachable', wsfunction, `Moodle at ${host} is unreachable (${code ?? 'network error'}) for ${wsfunction}`);
  }
}

/** A write that failed this way may still have reached Moodle and been applied (only a refused connection surely did not). */
function maybeApplied(err: MoodleError): boolean {
  if (err.kind === 'timeout' || (err.kind === 'http_error' && (err.status ?? 500) >= 500)) return true;
  return err.kind === 'unreachable' && !/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(err.message);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the configured URL';
  }
}

/** Sleeps `ms` ± 20 % unless the signal fires first (then resolves at once; the caller re-checks). */
function backoff(ms: number, signal?: AbortSignal): Promise<void> {
  const delay = ms * (0.8 + Math.random() * 0.4);
  return new Promise((resolve) => {
    const timer = setTimeout(done, delay);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
