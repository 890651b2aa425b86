import type { Logger } from '@moodle-mcp/common';
import type { Controller } from './controller.js';
import type { HaproxyApi } from './haproxyApi.js';
import type { ProxyMetrics } from './metrics.js';

/**
 * Makes HAProxy's server states what the controller wants: on every change,
 * and every `intervalMs` (so an HAProxy that restarted, or an operator's
 * stray command, is put right). Only servers whose state differs are sent a
 * command. A server the controller knows that HAProxy lacks (not yet added
 * by the runner) is skipped. Outages of the runtime API are logged once.
 */
export class Reconciler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private apiUp: boolean | undefined;

  constructor(
    private readonly api: HaproxyApi,
    private readonly backend: string,
    private readonly controller: Controller,
    private readonly metrics: ProxyMetrics,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.controller.on('changed', () => void this.reconcile());
    this.timer = setInterval(() => void this.reconcile(), this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.again = false;
    await this.running;
  }

  /** One pass; a pass asked for while one runs is run right after it. */
  reconcile(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.reconcile();
      }
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const desired = this.controller.desiredServerStates();
    let current;
    try {
      current = await this.api.servers(this.backend);
    } catch (err) {
      this.metrics.haproxyUp.set(0);
      if (this.apiUp !== false) {
        this.logger.error('HAProxy runtime API unreachable; server states will be applied when it answers', { error: (err as Error).message });
        this.controller.haproxyEvent(false, (err as Error).message);
      }
      this.apiUp = false;
      return;
    }
    this.metrics.haproxyUp.set(1);
    if (this.apiUp === false) {
      this.logger.info('HAProxy runtime API answers again; re-applying server states');
      this.controller.haproxyEvent(true, 'runtime API answers again');
    }
    this.apiUp = true;
    for (const server of current) {
      const want = desired.get(server.name);
      if (!want || want === server.admin) continue;
      try {
        await this.api.setState(this.backend, server.name, want);
        this.metrics.haproxyCommands.inc({ result: 'ok' });
        this.logger.info('HAProxy server state set', { server: server.name, from: server.admin, to: want });
      } catch (err) {
        this.metrics.haproxyCommands.inc({ result: 'error' });
        this.logger.error('HAProxy refused a server state', { server: server.name, to: want, error: (err as Error).message });
        this.controller.haproxyEvent(false, (err as Error).message);
      }
    }
  }
}
