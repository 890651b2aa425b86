import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '@moodle-mcp/common';
import type { WorkerConfig } from './config.js';
import { CacheStore, cacheSecrets } from './cache/index.js';
import { Identities } from './identity/identities.js';
import { TeacherSessions } from './identity/teacherSessions.js';
import { withToken } from './moodle/types.js';
import { TeacherCallLimiter } from './teachers/callLimiter.js';
import { TokenCipher } from './teachers/cipher.js';
import { TeacherDirectory } from './teachers/directory.js';
import { TeacherRegistry } from './teachers/registry.js';
import { HttpMcpSessions } from './httpMcp.js';
import { createHttpServer } from './httpServer.js';
import { InflightCalls } from './mcp/inflight.js';
import { SERVER_INFO, openSession, type SessionDeps } from './mcp/session.js';
import { ToolCatalog } from './mcp/toolCatalog.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
import { CircuitBreaker } from './moodle/circuitBreaker.js';
import { MoodleClient } from './moodle/client.js';
import { ReadinessProbe } from './readiness.js';
import { TcpServer } from './tcpServer.js';
import type { ToolDef } from './tools/types.js';
import { StreamTransport, type StreamTransportOptions } from './transport/streamTransport.js';

export interface WorkerHandle {
  /** Bound ports (useful when configured as 0). */
  tcpPort?: number;
  httpPort?: number;
  metrics: WorkerMetrics;
  readiness: ReadinessProbe;
  sessionCount(): number;
  /**
   * Graceful: /ready turns 503, no new sessions (TCP or HTTP), in-flight calls finish (up to
   * DRAIN_TIMEOUT_MS), then every session and listener closes. Idempotent.
   */
  stop(): Promise<void>;
  /** Resolves when the worker has stopped (by stop(), or in stdio mode when stdin ends). */
  stopped: Promise<void>;
}

export interface WorkerOptions {
  tools: ToolDef[];
  mode: 'tcp' | 'stdio';
  logger?: Logger;
}

/** Starts a worker in this process (tests run several on port 0). */
export async function startWorker(config: WorkerConfig, opts: WorkerOptions): Promise<WorkerHandle> {
  // Teachers' tokens join this set as the registry is read: no log line can carry one.
  const liveSecrets = new Set<string>();
  const logger =
    opts.logger ??
    createLogger({
      service: 'mcp-worker',
      level: config.LOG_LEVEL,
      stream: opts.mode === 'stdio' ? 'stderr' : 'stdout',
      secrets: [config.MOODLE_TOKEN, config.REGISTRY_PASSWORD, config.REGISTRY_KEY?.toString('hex'), config.REGISTRY_KEY?.toString('base64'), ...cacheSecrets(config)],
      liveSecrets,
    });
  const catalog = new ToolCatalog(opts.tools, config.ALLOW_WRITES);
  const wsfunctions = [...new Set(catalog.tools.flatMap((t) => t.wsfunctions).concat('core_webservice_get_site_info'))].sort();
  // Read at scrape time only, once everything below exists.
  const metrics = createWorkerMetrics({
    version: SERVER_INFO.version,
    workerId: config.WORKER_ID,
    tools: catalog.tools.map((t) => t.name),
    wsfunctions,
    state: { ready: () => isReady(), requestsInFlight: () => inflight.size },
  });
  const moodle = new MoodleClient({
    baseUrl: config.MOODLE_URL,
    token: config.MOODLE_TOKEN,
    timeoutMs: config.MOODLE_TIMEOUT_MS,
    maxSockets: config.MOODLE_MAX_SOCKETS,
    retries: config.MOODLE_RETRIES,
    onAttempt: (fn, outcome, seconds) => {
      metrics.moodleRequests.inc({ function: fn, outcome });
      metrics.moodleDuration.observe({ function: fn }, seconds);
    },
  });
  // The cache sits in front of the breaker, so an open circuit still gets stale answers served.
  const breaker = new CircuitBreaker(moodle, { threshold: config.MOODLE_CIRCUIT_THRESHOLD, cooldownMs: config.MOODLE_CIRCUIT_COOLDOWN_MS, logger, registry: metrics.registry });
  const cache = new CacheStore({ config, logger, registry: metrics.registry, functions: wsfunctions });
  const identityMode = config.IDENTITY_MODE;
  // Per-teacher on the network: the registry, read whole into memory and kept in step.
  const teacherSessions = new TeacherSessions();
  let directory: TeacherDirectory | undefined;
  let registry: TeacherRegistry | undefined;
  if (identityMode === 'per-teacher' && opts.mode === 'tcp') {
    registry = new TeacherRegistry({
      url: config.REGISTRY_URL!,
      password: config.REGISTRY_PASSWORD,
      keyPrefix: config.REGISTRY_KEY_PREFIX,
      cipher: new TokenCipher(config.REGISTRY_KEY!),
      connectionName: `mcp-worker-registry-${config.WORKER_ID}`,
      failFast: true,
    });
    directory = new TeacherDirectory({
      registry,
      logger,
      workerId: config.WORKER_ID,
      secrets: liveSecrets,
      sessionsByTeacher: () => teacherSessions.counts(),
      onGone: (name) => {
        identities.forget(name);
        void teacherSessions.closeAll(name).then((n) => n && logger.info('closed the sessions of a teacher who may no longer use the stack', { teacher: name, sessions: n }));
      },
    });
  }
  let ownUserId: number | undefined;
  const identities = new Identities({
    mode: identityMode,
    store: cache,
    inner: breaker,
    baseUrl: config.MOODLE_URL,
    ownToken: config.MOODLE_TOKEN,
    ownUserId: () => ownUserId,
    directory,
    unidentifiedTeacher: config.UNIDENTIFIED_TEACHER,
  });
  const inflight = new InflightCalls();
  const deps: SessionDeps = {
    catalog,
    defaultCourseId: config.MOODLE_DEFAULT_COURSE_ID,
    logger,
    metrics,
    callRate: { perSecond: config.SESSION_CALL_RATE, burst: config.SESSION_CALL_BURST },
    identities,
    directory,
    teacherSessions,
    ...(directory ? { teacherLimiter: new TeacherCallLimiter({ perSecond: config.TEACHER_CALL_RATE, burst: config.TEACHER_CALL_BURST }, cache, config.REDIS_KEY_PREFIX) } : {}),
  };
  const needed = catalog.listed.flatMap((t) => catalog.get(t.name)?.wsfunctions ?? []);
  // Per-teacher on the network without a token of its own: Moodle is probed without one.
  const probeToken = identityMode === 'shared' || opts.mode === 'stdio' ? config.MOODLE_TOKEN : undefined;
  const probe = withToken(moodle, probeToken ?? '');
  const readiness = new ReadinessProbe(
    probe,
    [...new Set(needed)],
    config.READY_CHECK_INTERVAL_MS,
    logger,
    (up) => metrics.moodleUp.set(up ? 1 : 0),
    probeToken === undefined,
    (userId) => (ownUserId = userId),
  );
  const demo = config.MOODLE_DEMO;
  logger.info('starting', {
    version: SERVER_INFO.version,
    mode: opts.mode,
    workerId: config.WORKER_ID,
    moodleUrl: config.MOODLE_URL,
    demo,
    allowWrites: config.ALLOW_WRITES,
    tools: catalog.listed.length,
    cache: config.CACHE_ENABLED && config.REDIS_URL ? 'redis' : 'off (in-process coalescing only)',
    identityMode,
  });
  if (demo) logger.warn('DEMO MODE: serving the built-in Moodle simulator with made-up data, not a real Moodle');
  if (identityMode === 'shared') logger.warn(SHARED_WARNING);
  if (config.UNIDENTIFIED_TEACHER) logger.warn(`DEMO: connections without a client certificate act as teacher ${config.UNIDENTIFIED_TEACHER}`);
  if (directory) await directory.start(REGISTRY_START_WAIT_MS);
  await readiness.start();
  metrics.moodleUp.set(readiness.state.moodleReachable ? 1 : 0);

  let draining = false;
  // Ready while Moodle answers, or while the shared cache can (stale-if-error covers the gap).
  function isReady(): boolean {
    return !draining && (readiness.state.moodleReachable || cache.available) && (!directory || directory.loaded);
  }
  let stopping: Promise<void> | undefined;
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  let tcp: TcpServer | undefined;
  let httpMcp: HttpMcpSessions | undefined;
  let httpServer: http.Server | undefined;
  let stdioSession: Awaited<ReturnType<typeof openSession>> | undefined;
  const handle: WorkerHandle = {
    metrics,
    readiness,
    sessionCount: () => (tcp?.sessionCount ?? 0) + (httpMcp?.sessionCount ?? 0) + (stdioSession ? 1 : 0),
    stopped,
    stop: () => (stopping ??= drainAndClose().finally(markStopped)),
  };

  async function drainAndClose(): Promise<void> {
    draining = true;
    logger.info('draining', { sessions: handle.sessionCount(), inflight: inflight.size, deadlineMs: config.DRAIN_TIMEOUT_MS });
    tcp?.stopAccepting();
    tcp?.drainSessions();
    httpMcp?.stopAccepting();
    const deadline = Date.now() + config.DRAIN_TIMEOUT_MS;
    const finished = await inflight.idle(config.DRAIN_TIMEOUT_MS);
    if (!finished) logger.warn('drain deadline passed with calls still running; closing sessions', { inflight: inflight.size });
    // Sessions close by themselves once their client has moved on (see StreamTransport.drain).
    else if (tcp && !(await tcp.sessionsClosed(Math.max(0, deadline - Date.now())))) logger.info('drain deadline passed; closing the remaining idle sessions', { sessions: tcp.sessionCount });
    await Promise.all([tcp?.closeAll(), httpMcp?.closeAll()]);
    await stdioSession?.close();
    readiness.stop();
    if (httpServer) await closeHttpServer(httpServer);
    await directory?.close();
    await registry?.close();
    await cache.close();
    moodle.close();
    logger.info('stopped');
  }

  // Every newline-delimited session (each TCP connection, or stdio) gets the same limits and hooks.
  const stream: StreamTransportOptions = {
    maxLineBytes: config.MAX_LINE_BYTES,
    maxPendingWriteBytes: config.MAX_PENDING_WRITE_BYTES,
    maxUnansweredRequests: config.SESSION_MAX_UNANSWERED,
    inflight,
    onRefused: (reason) => metrics.refusedMessages.inc({ reason }),
    onInputPaused: (paused) => metrics.sessionsInputPaused.inc(paused ? 1 : -1),
  };
  if (opts.mode === 'tcp') {
    tcp = new TcpServer(
      deps,
      {
        host: config.MCP_HOST,
        port: config.MCP_PORT,
        maxSessions: config.MAX_SESSIONS,
        sessionsOpen: handle.sessionCount,
        stream,
        proxyProtocol: config.PROXY_PROTOCOL,
      },
      logger,
    );
    const mcpOverHttp = new HttpMcpSessions(
      { ...deps, inflight },
      {
        maxSessions: config.MAX_SESSIONS,
        sessionsOpen: handle.sessionCount,
        maxBodyBytes: config.MAX_LINE_BYTES,
        idleTimeoutMs: config.HTTP_SESSION_IDLE_TIMEOUT_MS,
      },
      logger,
    );
    httpMcp = mcpOverHttp;
    httpServer = createHttpServer(
      {
        registry: metrics.registry,
        mcp: (req, res) => mcpOverHttp.handle(req, res),
        health: () => ({
          service: 'mcp-worker',
          workerId: config.WORKER_ID,
          version: SERVER_INFO.version,
          demo,
          identityMode,
          ...(identityMode === 'shared' ? { warning: SHARED_WARNING } : {}),
          ...(config.UNIDENTIFIED_TEACHER ? { unidentifiedTeacher: config.UNIDENTIFIED_TEACHER } : {}),
          ...(directory ? { teachers: directory.size } : {}),
          sessions: handle.sessionCount(),
          uptimeSeconds: Math.round(process.uptime()),
        }),
        readiness: () => ({
          ready: isReady(),
          draining,
          demo,
          moodle: readiness.state,
          cache: { redis: cache.available },
          ...(directory ? { registry: { loaded: directory.loaded, teachers: directory.size } } : {}),
        }),
      },
      logger,
    );
    const tcpAddr = await tcp.listen();
    const server = httpServer;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.HTTP_PORT, config.HTTP_HOST, () => resolve());
    });
    handle.tcpPort = tcpAddr.port;
    handle.httpPort = (server.address() as AddressInfo).port;
    logger.info('listening', {
      mcp: `${config.MCP_HOST}:${handle.tcpPort}`,
      http: `${config.HTTP_HOST}:${handle.httpPort}`,
      mcpHttp: `http://${config.HTTP_HOST}:${handle.httpPort}/mcp`,
      httpSessionIdleTimeoutMs: config.HTTP_SESSION_IDLE_TIMEOUT_MS,
      proxyProtocol: config.PROXY_PROTOCOL,
      sessionCallRate: config.SESSION_CALL_RATE ? `${config.SESSION_CALL_RATE}/s, bursts of ${config.SESSION_CALL_BURST}` : 'no limit',
    });
  } else {
    const transport = new StreamTransport(process.stdin, process.stdout, { ...stream, ownsOutput: false });
    stdioSession = await openSession(deps, transport, identities.forStdio());
    const session = stdioSession;
    const onclose = session.server.onclose;
    session.server.onclose = () => {
      onclose?.();
      logger.info('stdin closed; stopping');
      void handle.stop();
    };
  }
  return handle;
}

/** Said at start, in /health and the logs when every client acts as one Moodle account. */
const SHARED_WARNING =
  'IDENTITY_MODE=shared: every client acts in Moodle as the one account of MOODLE_TOKEN; anyone who can reach the stack sees and changes what that account can';

/** How long a starting worker waits for the teacher registry before it starts anyway (not ready until it is read), ms. */
const REGISTRY_START_WAIT_MS = 10_000;

/** How long open HTTP responses (answers already sent, being flushed) may take once every session is closed, ms. */
const HTTP_CLOSE_GRACE_MS = 1_000;

/**
 * Closes the HTTP port: idle keep-alive connections at once, responses still
 * being written after HTTP_CLOSE_GRACE_MS, so a drained answer is not cut off
 * and the close never hangs.
 */
async function closeHttpServer(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), HTTP_CLOSE_GRACE_MS);
  await closed;
  clearTimeout(force);
}
