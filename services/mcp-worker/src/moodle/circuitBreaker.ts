import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '@moodle-mcp/common';
import { MoodleError } from './errors.js';
import type { MoodleApi, MoodleCallOptions, MoodleParams } from './types.js';

export interface CircuitBreakerOptions {
  /** Consecutive transient failures (timeout, unreachable, 5xx) that open the circuit; 0 disables it. */
  threshold: number;
  /** How long an open circuit refuses calls before one probe is let through, ms. Doubles while probes fail, up to 8×. */
  cooldownMs: number;
  logger: Logger;
  registry: Registry;
}

type State = 'closed' | 'open' | 'half_open';

/**
 * Keeps a dead or drowning Moodle from being hammered. After `threshold`
 * consecutive transient failures the circuit opens: calls fail at once with
 * a transient `unreachable` MoodleError (so the cache serves stale answers as
 * it does for any outage) that says when Moodle is asked again. After the
 * cool-down one call goes through as a probe; its success closes the circuit,
 * its failure opens it for twice as long. A write refused by an open circuit
 * was never sent, and its message says so. Answers from Moodle (a bad token,
 * a missing record) are not failures of Moodle and reset the count.
 */
export class CircuitBreaker implements MoodleApi {
  private state: State = 'closed';
  private failures = 0;
  private openUntil = 0;
  private cooldown: number;
  private probing = false;
  private readonly openGauge: Gauge;
  private readonly trips: Counter;

  constructor(
    private readonly inner: MoodleApi,
    private readonly opts: CircuitBreakerOptions,
  ) {
    this.cooldown = opts.cooldownMs;
    this.openGauge = new Gauge({ name: 'mcp_moodle_circuit_open', help: '1 while the circuit breaker keeps calls away from Moodle (open or probing), else 0.', registers: [opts.registry] });
    this.trips = new Counter({ name: 'mcp_moodle_circuit_trips_total', help: 'Times the circuit breaker opened after consecutive Moodle failures.', registers: [opts.registry] });
    this.openGauge.set(0);
    this.trips.inc(0);
  }

  async call<T = unknown>(wsfunction: string, params: MoodleParams, opts: MoodleCallOptions = {}): Promise<T> {
    if (this.opts.threshold === 0) return this.inner.call<T>(wsfunction, params, opts);
    if (this.state !== 'closed') {
      const now = Date.now();
      if (this.state === 'open' && now >= this.openUntil) this.state = 'half_open';
      if (this.state === 'open' || this.probing) throw this.refusal(wsfunction, opts, Math.max(0, this.openUntil - now));
      this.probing = true;
    }
    try {
      const value = await this.inner.call<T>(wsfunction, params, opts);
      this.succeeded();
      return value;
    } catch (err) {
      if (err instanceof MoodleError && err.transient) this.failed(err);
      else if (err instanceof MoodleError && err.kind !== 'aborted') this.succeeded();
      else if (this.probing) this.probing = false; // cancelled probe: the next call probes
      throw err;
    }
  }

  private succeeded(): void {
    const wasOpen = this.state !== 'closed';
    this.state = 'closed';
    this.failures = 0;
    this.probing = false;
    this.cooldown = this.opts.cooldownMs;
    this.openGauge.set(0);
    if (wasOpen) this.opts.logger.info('Moodle answers again; circuit closed');
  }

  private failed(err: MoodleError): void {
    this.failures++;
    if (this.state === 'half_open') {
      this.cooldown = Math.min(this.cooldown * 2, this.opts.cooldownMs * 8);
      this.open(err, 'the probe failed');
    } else if (this.state === 'closed' && this.failures >= this.opts.threshold) {
      this.trips.inc();
      this.open(err, `${this.failures} consecutive failures`);
    }
  }

  private open(err: MoodleError, why: string): void {
    this.state = 'open';
    this.probing = false;
    this.openUntil = Date.now() + this.cooldown;
    this.openGauge.set(1);
    this.opts.logger.warn('Moodle failing; circuit open, calls are refused until the next probe', { why, lastError: err.kind, wsfunction: err.wsfunction, probeInMs: this.cooldown });
  }

  private refusal(wsfunction: string, opts: MoodleCallOptions, waitMs: number): MoodleError {
    const when = `${Math.max(1, Math.ceil(waitMs / 1000))} s`;
    const what = opts.write ? `${wsfunction} was NOT sent (nothing was changed)` : `${wsfunction} was not sent`;
    return new MoodleError('unreachable', wsfunction, `Moodle is unreachable or failing (${this.failures} failed calls in a row), so calls are paused: ${what}. Moodle is tried again in about ${when}.`);
  }
}
