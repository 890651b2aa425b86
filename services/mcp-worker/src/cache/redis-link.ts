/**
 * The cache's connection to Redis, and the one place that decides whether
 * Redis is used at all. Redis is an optimization: every command goes through
 * `attempt`, which never throws — a failed, refused or slow command yields
 * `undefined` and the caller goes on without the cache.
 *
 * Contracts:
 * - No command ever waits for a dead Redis: the offline queue is off (commands
 *   fail at once while disconnected) and `commandTimeout` bounds a slow one.
 * - After a command fails on an open connection (a stalled or overloaded
 *   Redis: timeout, reset), Redis is skipped for a cool-down so calls do not
 *   each pay the timeout; the next call after it probes again. An error
 *   *reply* (e.g. OOM) only fails that command.
 * - ioredis reconnects by itself, forever, with capped backoff.
 * - One warning when an outage starts, one info when it ends — never per call.
 * - Fill notices arrive on a second connection (a subscribed connection cannot
 *   run ordinary commands); its outages only slow waiters down (they poll),
 *   so they are logged at debug level.
 */
import { Redis } from 'ioredis';
import type { CacheMetrics, RedisOp } from './metrics.js';

/** The logging the cache needs; a winston Logger satisfies it. */
export interface CacheLogger {
  debug(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export interface RedisLinkOptions {
  url: string;
  /** Secret; AUTH only. */
  password?: string;
  /** Longest wait for one command, ms. */
  commandTimeoutMs: number;
  /** Cap of the reconnect backoff, ms (default 2000). */
  reconnectMaxDelayMs?: number;
  /** Where logs may say Redis is (host:port — never the URL, which may hold a password). */
  endpoint: string;
  logger: CacheLogger;
  metrics: CacheMetrics;
  /** Called each time Redis becomes usable (first connection, and after each outage). */
  onRecovered?: () => void;
}

type State = 'connecting' | 'up' | 'down';

export class RedisLink {
  readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, (message: string) => void>();
  private state: State = 'connecting';
  /** While Redis is down on an open connection: skip it until this time (performance.now() ms). */
  private retryAt = 0;
  private readonly coolDownMs: number;
  /** How long a closing connection may wait for Redis to acknowledge, ms. */
  private readonly disconnectTimeoutMs: number;
  private closed = false;

  constructor(private readonly opts: RedisLinkOptions) {
    const maxDelay = opts.reconnectMaxDelayMs ?? 2000;
    this.coolDownMs = Math.max(1000, 4 * opts.commandTimeoutMs);
    this.disconnectTimeoutMs = Math.max(100, opts.commandTimeoutMs);
    this.client = new Redis(opts.url, {
      ...(opts.password ? { password: opts.password } : {}),
      connectionName: 'mcp-worker-cache',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      autoResendUnfulfilledCommands: false,
      commandTimeout: opts.commandTimeoutMs,
      connectTimeout: Math.max(1000, 8 * opts.commandTimeoutMs),
      disconnectTimeout: this.disconnectTimeoutMs,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
    });
    this.client.on('ready', () => this.markUp());
    this.client.on('error', (err: Error) => this.markDown('connection', err.message));
    this.client.on('close', () => this.markDown('connection', 'connection closed'));

    this.subscriber = this.client.duplicate({ connectionName: 'mcp-worker-cache-sub', autoResubscribe: false });
    this.subscriber.on('error', (err: Error) => opts.logger.debug('cache notice connection error', { error: err.message }));
    this.subscriber.on('ready', () => {
      for (const channel of this.handlers.keys()) this.subscribeOn(channel);
    });
    this.subscriber.on('message', (channel: string, message: string) => this.handlers.get(channel)?.(message));
  }

  /** True while commands are being sent to Redis (connected and not cooling down). */
  get available(): boolean {
    return this.client.status === 'ready' && this.state === 'up';
  }

  /** Whether a call should try Redis now (also true once a cool-down has passed, to probe). */
  usable(): boolean {
    return !this.closed && this.client.status === 'ready' && (this.state === 'up' || performance.now() >= this.retryAt);
  }

  /**
   * Runs one Redis operation if Redis is usable. Resolves with its reply, or
   * `undefined` when Redis was skipped or the command failed (counted under
   * `op`). `fn` must not resolve `undefined` itself (ioredis replies never do).
   */
  async attempt<T>(op: RedisOp, fn: (redis: Redis) => Promise<T>): Promise<T | undefined> {
    if (!this.usable()) return undefined;
    try {
      const reply = await fn(this.client);
      if (this.state !== 'up') this.markUp();
      return reply;
    } catch (err) {
      this.opts.metrics.errors.inc({ op });
      const message = err instanceof Error ? err.message : String(err);
      // Redis answered with an error (out of memory, a script error): this
      // call goes on without the cache, but Redis itself is reachable.
      if (err instanceof Error && err.name === 'ReplyError') {
        this.opts.logger.debug('cache Redis command refused', { op, error: message });
        return undefined;
      }
      this.retryAt = performance.now() + this.coolDownMs;
      this.markDown(op, message, false);
      return undefined;
    }
  }

  /**
   * A Lua script run by its SHA1 (EVALSHA): its text crosses the network
   * once, not with every call; ioredis sends it again when Redis answers
   * NOSCRIPT (after a restart or SCRIPT FLUSH). For use inside `attempt`.
   */
  defineScript(name: string, numberOfKeys: number, lua: string): (redis: Redis, ...args: (string | number)[]) => Promise<unknown> {
    this.client.defineCommand(name, { numberOfKeys, lua });
    return (redis, ...args) => (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[name]!(...args);
  }

  /** Delivers every message on `channel` to `handler` (one handler per channel). */
  listen(channel: string, handler: (message: string) => void): void {
    const isNew = !this.handlers.has(channel);
    this.handlers.set(channel, handler);
    if (isNew && this.subscriber.status === 'ready') this.subscribeOn(channel);
  }

  /**
   * Disconnects both connections (pending commands fail; locks held by this
   * worker expire on their own). Resolves once both are closed, or after
   * the disconnect timeout — never later.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.opts.metrics.redisUp.set(0);
    const clients = [this.client, this.subscriber];
    const ended = Promise.all(clients.map((c) => (c.status === 'end' ? undefined : new Promise<void>((resolve) => c.once('end', () => resolve())))));
    for (const c of clients) c.disconnect();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.disconnectTimeoutMs + 50)));
    await Promise.race([ended, deadline]);
    clearTimeout(timer);
  }

  private subscribeOn(channel: string): void {
    this.subscriber.subscribe(channel).catch((err: Error) => {
      this.opts.metrics.errors.inc({ op: 'subscribe' });
      this.opts.logger.debug('cache notice subscription failed; waiters fall back to polling', { error: err.message });
    });
  }

  private markUp(): void {
    if (this.closed || this.state === 'up') return;
    const previous = this.state;
    this.state = 'up';
    this.opts.metrics.redisUp.set(1);
    if (previous === 'down') this.opts.logger.info('cache Redis available again; caching resumed', { redis: this.opts.endpoint });
    else this.opts.logger.info('cache Redis connected', { redis: this.opts.endpoint });
    this.opts.onRecovered?.();
  }

  /** `countConnection`: connection events are counted here, command failures by `attempt`. */
  private markDown(op: RedisOp, reason: string, countConnection = true): void {
    if (this.closed) return;
    if (countConnection && op === 'connection' && reason !== 'connection closed') this.opts.metrics.errors.inc({ op });
    if (this.state === 'down') return;
    this.state = 'down';
    this.opts.metrics.redisUp.set(0);
    this.opts.logger.warn('cache Redis unavailable; calls go to Moodle uncached until it is back', { redis: this.opts.endpoint, op, error: reason });
  }
}
