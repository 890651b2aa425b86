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
 * - Key-change notices (`track`): the first connection turns on Redis's
 *   server-assisted client-side caching (`CLIENT TRACKING ON BCAST PREFIX
 *   ...`), redirected to the second, which speaks RESP2 so they arrive as
 *   messages on `__redis__:invalidate`. The tracker is told `live(true)` only
 *   once both connections are up, subscribed and tracking, and `live(false)`
 *   at the first sign that a notice could be missed (either connection
 *   closing or failing, a failed command, a cool-down).
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

/** Receives the key-change notices of `RedisLink.track`. */
export interface KeyTracker {
  /** Key prefixes to be told about (BCAST: every change under them, whoever makes it). */
  prefixes: string[];
  /** True: every change from now on will be told. False: some may be missed. */
  live(on: boolean): void;
  /** These keys changed; `null`: everything may have (FLUSHALL, or Redis dropped its tracking table). */
  changed(keys: string[] | null): void;
}

const INVALIDATE_CHANNEL = '__redis__:invalidate';

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
  private tracker?: KeyTracker;
  /** Bumped whenever tracking must be (re)established: an older attempt's result is ignored. */
  private trackingRound = 0;
  /** CLIENT ID of the notice connection, asked each time it connects (a RESP2 subscriber may run nothing else). */
  private subscriberId?: number;

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

    // RESP2: tracking notices redirected here arrive as pub/sub messages
    // (under RESP3 they would be push frames, which ioredis does not deliver).
    this.subscriber = this.client.duplicate({ connectionName: 'mcp-worker-cache-sub', autoResubscribe: false, protocol: 2 });
    this.subscriber.on('error', (err: Error) => {
      this.stopTracking();
      opts.logger.debug('cache notice connection error', { error: err.message });
    });
    this.subscriber.on('close', () => this.stopTracking());
    this.subscriber.on('ready', () => void this.subscriberReady());
    this.subscriber.on('message', (channel: string, message: string) => this.handlers.get(channel)?.(message));
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer | Buffer[] | null) => {
      if (this.tracker && channel.toString() === INVALIDATE_CHANNEL) this.tracker.changed(Array.isArray(message) ? message.map(String) : null);
    });
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

  /** Tells `tracker` about every change to keys under its prefixes while it is live (one tracker per link). */
  track(tracker: KeyTracker): void {
    this.tracker = tracker;
    this.startTracking();
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
    this.stopTracking();
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

  /** The notice connection (re)connected: its id first, then its subscriptions, then tracking. */
  private async subscriberReady(): Promise<void> {
    this.subscriberId = undefined;
    try {
      this.subscriberId = Number(await this.subscriber.client('ID'));
    } catch (err) {
      this.opts.logger.debug('cache notice connection: CLIENT ID failed', { error: (err as Error).message });
    }
    for (const channel of this.handlers.keys()) this.subscribeOn(channel);
    this.startTracking();
  }

  /**
   * (Re)establishes tracking once both connections are ready: the notice
   * connection subscribes to the tracking channel, then the command
   * connection turns CLIENT TRACKING on towards it (OFF first: a reconnected
   * notice connection has a new id).
   */
  private startTracking(): void {
    const tracker = this.tracker;
    if (!tracker || this.closed) return;
    this.stopTracking();
    const round = this.trackingRound;
    const id = this.subscriberId;
    if (this.client.status !== 'ready' || this.subscriber.status !== 'ready' || id === undefined) return;
    const establish = async () => {
      await this.subscriber.subscribe(INVALIDATE_CHANNEL);
      await this.client.client('TRACKING', 'OFF');
      await this.client.client('TRACKING', 'ON', 'REDIRECT', String(id), 'BCAST', ...tracker.prefixes.flatMap((p) => ['PREFIX', p]));
    };
    establish().then(
      () => {
        if (round !== this.trackingRound || this.closed || this.state !== 'up') return;
        tracker.live(true);
      },
      (err: Error) => {
        if (round !== this.trackingRound) return;
        this.opts.metrics.errors.inc({ op: 'tracking' });
        this.opts.logger.debug('cache key tracking not established; the near cache stays off', { error: err.message });
      },
    );
  }

  /** Any sign that a key-change notice could be missed (the tracker may hear it more than once). */
  private stopTracking(): void {
    this.trackingRound++;
    this.tracker?.live(false);
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
    this.startTracking();
  }

  /** `countConnection`: connection events are counted here, command failures by `attempt`. */
  private markDown(op: RedisOp, reason: string, countConnection = true): void {
    if (this.closed) return;
    if (countConnection && op === 'connection' && reason !== 'connection closed') this.opts.metrics.errors.inc({ op });
    this.stopTracking();
    if (this.state === 'down') return;
    this.state = 'down';
    this.opts.metrics.redisUp.set(0);
    this.opts.logger.warn('cache Redis unavailable; calls go to Moodle uncached until it is back', { redis: this.opts.endpoint, op, error: reason });
  }
}
