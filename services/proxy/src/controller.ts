import { EventEmitter } from 'node:events';
import { AppError, type Logger } from '@moodle-mcp/common';
import type { ProxyConfig, TargetConfig, WorkerConfig } from './config.js';
import type { CheckResult } from './healthCheck.js';
import type { LockFile, LockState } from './lockFile.js';
import type { ProxyMetrics, SwitchKind } from './metrics.js';
import type { ProxyEvent, TargetView, WorkerStatus, WorkerView } from './views.js';

/** Refusals the API turns into 4xx answers. */
export class ControlError extends AppError {}

type CheckFn = (worker: WorkerConfig, healthPath: string, timeoutMs: number) => Promise<CheckResult>;

interface WorkerState extends WorkerView {
  config: WorkerConfig;
}

/**
 * The proxy's state and decisions: deep-check results per worker, health per
 * target, the active target, failover and failback, manual switches and
 * drains. Pure decisions over injected checks; HAProxy is driven by the
 * reconciler from `desiredServerStates()`. Emits 'event' (ProxyEvent) and
 * 'changed' (anything that changes the desired HAProxy state).
 */
export class Controller extends EventEmitter {
  private readonly workers = new Map<string, WorkerState>();
  private readonly targets: TargetConfig[];
  private readonly targetHealth = new Map<string, { healthy: boolean; since: string; streak: number }>();
  private active: { target: string; since: string; reason: string };
  /** Consecutive check rounds in which the active target was unhealthy. */
  private activeFailures = 0;
  private noneHealthyReported = false;
  private readonly recent: ProxyEvent[] = [];
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;

  constructor(
    private readonly config: ProxyConfig,
    private readonly lock: LockFile,
    private readonly metrics: ProxyMetrics,
    private readonly logger: Logger,
    private readonly check: CheckFn,
  ) {
    super();
    this.targets = [...config.targets].sort((a, b) => a.priority - b.priority);
    const now = new Date().toISOString();
    for (const t of this.targets) {
      this.targetHealth.set(t.name, { healthy: false, since: now, streak: 0 });
      for (const w of t.workers) this.workers.set(w.name, { config: w, name: w.name, target: t.name, host: w.host, mcpPort: w.mcpPort, httpPort: w.httpPort, status: 'unknown', since: now, failedChecks: 0, drained: false });
    }
    this.active = this.restore(now);
    this.publishActive();
  }

  /** The lock file's state when it names a configured target; otherwise the best-priority target. */
  private restore(now: string): { target: string; since: string; reason: string } {
    let saved: LockState | undefined;
    try {
      saved = this.lock.read();
    } catch (err) {
      this.logger.error('cannot use the lock file; starting from the configured priorities', { error: (err as Error).message });
    }
    if (saved && this.targets.some((t) => t.name === saved.active)) {
      for (const name of saved.drained) {
        const w = this.workers.get(name);
        if (w) w.drained = true;
      }
      this.logger.info('active target restored from the lock file', { target: saved.active, since: saved.since, reason: saved.reason, lockFile: this.lock.file });
      return { target: saved.active, since: saved.since, reason: saved.reason };
    }
    if (saved) this.logger.warn('the lock file names a target that is not configured; using the configured priorities', { target: saved.active });
    const first = { target: this.targets[0]!.name, since: now, reason: 'start: highest-priority target' };
    this.persist(first);
    return first;
  }

  start(): Promise<void> {
    const first = this.runRound();
    this.timer = setInterval(() => void this.runRound(), this.config.healthCheckIntervalMs);
    return first;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.round;
  }

  /** One round of checks of every worker (a round still running is not doubled). */
  runRound(): Promise<void> {
    if (this.round) return this.round;
    this.round = this.checkAll().finally(() => (this.round = undefined));
    return this.round;
  }

  private async checkAll(): Promise<void> {
    const states = [...this.workers.values()];
    const results = await Promise.all(
      states.map(async (w) => {
        const target = this.targets.find((t) => t.name === w.target)!;
        return [w, await this.check(w.config, target.healthPath, this.config.healthCheckTimeoutMs)] as const;
      }),
    );
    let changed = false;
    for (const [w, r] of results) changed = this.record(w, r) || changed;
    for (const t of this.targets) changed = this.evaluateTarget(t) || changed;
    changed = this.decide() || changed;
    if (changed) this.emit('changed');
  }

  private record(w: WorkerState, r: CheckResult): boolean {
    const now = new Date().toISOString();
    this.metrics.checks.inc({ target: w.target, result: r.ok ? 'pass' : 'fail' });
    this.metrics.checkSeconds.observe({ target: w.target }, r.latencyMs / 1000);
    this.metrics.workerUp.set({ target: w.target, worker: w.name }, r.ok ? 1 : 0);
    w.latencyMs = r.latencyMs;
    w.lastCheck = now;
    w.lastError = r.ok ? w.lastError : r.error;
    w.failedChecks = r.ok ? 0 : w.failedChecks + 1;
    const status = this.statusAfter(w, r);
    if (status === w.status) {
      if (!r.ok && !r.draining && status !== 'down') {
        this.logger.warn('worker failed a check', { worker: w.name, target: w.target, failedChecks: w.failedChecks, downAfter: this.config.workerFall, latencyMs: r.latencyMs, error: r.error });
      }
      return false;
    }
    const first = w.status === 'unknown';
    w.status = status;
    w.since = now;
    if (!r.ok || !first) this.logger[r.ok ? 'info' : 'warn'](`worker ${r.ok ? 'passes its checks again' : 'fails its checks'}`, { worker: w.name, target: w.target, latencyMs: r.latencyMs, error: r.error });
    this.publish({ type: 'worker', time: now, worker: w.name, target: w.target, status, ...(r.error ? { error: r.error } : {}) });
    return true;
  }

  /**
   * Up on a passing check; draining when the worker says so; down when it
   * refuses connections (its process is gone) or after `workerFall`
   * consecutive failures. Until then it keeps its status: a worker slow to
   * answer once, because it or the machine is busy, keeps its sessions.
   */
  private statusAfter(w: WorkerState, r: CheckResult): WorkerStatus {
    if (r.ok) return 'up';
    if (r.draining) return 'draining';
    return r.refused || w.failedChecks >= this.config.workerFall ? 'down' : w.status;
  }

  private evaluateTarget(t: TargetConfig): boolean {
    const h = this.targetHealth.get(t.name)!;
    const healthy = this.passing(t) >= t.minHealthy;
    h.streak = healthy ? h.streak + 1 : 0;
    this.metrics.targetHealthy.set({ target: t.name }, healthy ? 1 : 0);
    if (healthy === h.healthy) return false;
    h.healthy = healthy;
    h.since = new Date().toISOString();
    this.publish({ type: 'target', time: h.since, target: t.name, healthy });
    return true;
  }

  private passing(t: TargetConfig): number {
    return t.workers.filter((w) => this.workers.get(w.name)!.status === 'up').length;
  }

  /** Failover after `failoverThreshold` bad rounds of the active target; failback per policy. */
  private decide(): boolean {
    const active = this.active.target;
    const activeHealthy = this.targetHealth.get(active)!.healthy;
    this.activeFailures = activeHealthy ? 0 : this.activeFailures + 1;
    if (activeHealthy) this.noneHealthyReported = false;
    if (!activeHealthy && this.activeFailures >= this.config.failoverThreshold) {
      const next = this.targets.find((t) => t.name !== active && this.targetHealth.get(t.name)!.healthy);
      if (next) {
        this.switchTo(next.name, 'failover', `target ${active} failed ${this.activeFailures} consecutive checks`);
        return true;
      }
      if (!this.noneHealthyReported) {
        this.noneHealthyReported = true;
        this.logger.error('no healthy target to fail over to; keeping the active one', { active });
        this.publish({ type: 'no_healthy_target', time: new Date().toISOString(), active });
      }
      return false;
    }
    if (this.config.failback.policy === 'auto' && activeHealthy) {
      const activePriority = this.targets.find((t) => t.name === active)!.priority;
      const better = this.targets.find((t) => t.priority < activePriority && this.targetHealth.get(t.name)!.streak >= this.config.failback.afterHealthyChecks);
      if (better) {
        this.switchTo(better.name, 'failback', `target ${better.name} passed ${this.targetHealth.get(better.name)!.streak} consecutive checks`);
        return true;
      }
    }
    return false;
  }

  private switchTo(target: string, kind: SwitchKind, reason: string): void {
    const from = this.active.target;
    this.active = { target, since: new Date().toISOString(), reason: `${kind}: ${reason}` };
    this.activeFailures = 0;
    this.persist(this.active);
    this.publishActive();
    this.metrics.switches.inc({ reason: kind });
    this.logger[kind === 'manual' ? 'info' : 'warn']('active target switched', { from, to: target, kind, reason });
    this.publish({ type: 'switch', time: this.active.since, from, to: target, kind, reason });
  }

  /** A manual switch; refused for an unknown target, or an unhealthy one unless `force`. */
  switchManually(target: string, force: boolean, by: string): void {
    const t = this.targets.find((x) => x.name === target);
    if (!t) throw new ControlError('unknown_target', `no target named ${target}; configured: ${this.targets.map((x) => x.name).join(', ')}`);
    if (target === this.active.target) throw new ControlError('already_active', `target ${target} is already active`);
    if (!this.targetHealth.get(target)!.healthy && !force) {
      throw new ControlError('target_unhealthy', `target ${target} is not healthy (${this.passing(t)} of ${t.workers.length} workers pass, ${t.minHealthy} needed); add "force": true to switch anyway`);
    }
    this.switchTo(target, 'manual', `by ${by}${force ? ' (forced)' : ''}`);
    this.emit('changed');
  }

  /** Drains (no new sessions, open ones go on) or re-enables one worker. */
  setDrained(worker: string, drained: boolean, by: string): void {
    const w = this.workers.get(worker);
    if (!w) throw new ControlError('unknown_worker', `no worker named ${worker}; configured: ${[...this.workers.keys()].join(', ')}`);
    if (w.drained === drained) return;
    w.drained = drained;
    this.persist(this.active);
    this.logger.info(drained ? 'worker drained' : 'worker enabled', { worker, by });
    this.publish({ type: drained ? 'drain' : 'enable', time: new Date().toISOString(), worker, by });
    this.emit('changed');
  }

  /**
   * HAProxy's wanted server states: failing → maint, shutting down, drained
   * or not active → drain, else ready. Unknown workers are left alone. The
   * proxy never takes out the last workers of the active target: when none
   * of them would stay ready, the failing ones stay ready and HAProxy's own
   * checks decide (a worker that is truly gone is DOWN there too; one the
   * proxy cannot reach for another reason keeps serving).
   */
  desiredServerStates(): Map<string, 'ready' | 'drain' | 'maint'> {
    const out = new Map<string, 'ready' | 'drain' | 'maint'>();
    for (const w of this.workers.values()) {
      if (w.status === 'unknown') continue;
      out.set(w.name, w.status === 'down' ? 'maint' : w.status === 'draining' || w.drained || w.target !== this.active.target ? 'drain' : 'ready');
    }
    const active = [...this.workers.values()].filter((w) => w.target === this.active.target);
    if (!active.some((w) => out.get(w.name) === 'ready' || w.status === 'unknown')) {
      for (const w of active) if (w.status === 'down' && !w.drained) out.set(w.name, 'ready');
    }
    return out;
  }

  /** A healthy, not drained worker of the active target, for a new HTTP session (round robin). */
  pickWorker(): WorkerView | undefined {
    const candidates = [...this.workers.values()].filter((w) => w.target === this.active.target && w.status === 'up' && !w.drained);
    if (candidates.length === 0) return undefined;
    this.rr = (this.rr + 1) % candidates.length;
    return view(candidates[this.rr]!);
  }
  private rr = -1;

  worker(name: string): WorkerView | undefined {
    const w = this.workers.get(name);
    return w && view(w);
  }

  status() {
    return { active: { ...this.active }, activeFailures: this.activeFailures, failoverThreshold: this.config.failoverThreshold, failback: this.config.failback, targets: this.targetViews() };
  }

  targetViews(): TargetView[] {
    return this.targets.map((t) => {
      const h = this.targetHealth.get(t.name)!;
      return { name: t.name, priority: t.priority, minHealthy: t.minHealthy, healthy: h.healthy, since: h.since, passing: this.passing(t), workers: t.workers.map((w) => view(this.workers.get(w.name)!)) };
    });
  }

  recentEvents(): ProxyEvent[] {
    return [...this.recent];
  }

  /** Reports a reconcile problem or recovery (the reconciler calls this). */
  haproxyEvent(ok: boolean, message: string): void {
    this.publish({ type: 'haproxy', time: new Date().toISOString(), ok, message });
  }

  private persist(active: { target: string; since: string; reason: string }): void {
    const drained = [...this.workers.values()].filter((w) => w.drained).map((w) => w.name);
    try {
      this.lock.write({ active: active.target, since: active.since, reason: active.reason, drained });
    } catch (err) {
      this.logger.error('cannot write the lock file; the active target will not survive a restart', { lockFile: this.lock.file, error: (err as Error).message });
    }
  }

  private publishActive(): void {
    for (const t of this.targets) this.metrics.activeTarget.set({ target: t.name }, t.name === this.active.target ? 1 : 0);
  }

  private publish(e: ProxyEvent): void {
    this.recent.push(e);
    if (this.recent.length > 100) this.recent.shift();
    this.emit('event', e);
  }
}

function view(w: WorkerState): WorkerView {
  const { config: _c, ...rest } = w;
  return { ...rest };
}
