import type { Logger } from '@moodle-mcp/common';
import { MoodleError } from './moodle/errors.js';
import type { MoodleApi } from './moodle/types.js';

export interface ReadinessState {
  moodleReachable: boolean;
  checkedAt?: string;
  lastError?: string;
  siteName?: string;
  moodleRelease?: string;
  /** Functions the tools need that the token's service does not offer. */
  missingFunctions: string[];
}

interface SiteInfo {
  userid?: number;
  sitename?: string;
  release?: string;
  functions?: { name: string }[];
}

/**
 * Probes Moodle with core_webservice_get_site_info every interval (straight
 * to Moodle, never through a cache: the question is whether Moodle answers).
 * Logs the site and the missing functions once, and each change of state once.
 */
export class ReadinessProbe {
  state: ReadinessState = { moodleReachable: false, missingFunctions: [] };
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private reportedFunctions = false;

  constructor(
    private readonly moodle: MoodleApi,
    private readonly neededFunctions: string[],
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly onChange?: (up: boolean) => void,
    /** The probe runs without a token: an "invalid token" answer means Moodle is up. */
    private readonly tokenless = false,
    /** The Moodle user id of the probe's token, once known. */
    private readonly onUser?: (userid: number) => void,
  ) {}

  /** Runs the first probe (awaited) and schedules the next ones. */
  async start(): Promise<void> {
    await this.probe();
    this.timer = setInterval(() => void this.probe(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  probe(): Promise<void> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<void> {
    const was = this.state.moodleReachable;
    const signal = AbortSignal.timeout(Math.max(1000, this.intervalMs));
    try {
      const info = await this.moodle.call<SiteInfo>('core_webservice_get_site_info', {}, { signal });
      if (typeof info.userid === 'number') this.onUser?.(info.userid);
      const offered = new Set((info.functions ?? []).map((f) => f.name));
      const missing = offered.size ? this.neededFunctions.filter((f) => !offered.has(f)) : [];
      this.state = {
        moodleReachable: true,
        checkedAt: new Date().toISOString(),
        siteName: info.sitename,
        moodleRelease: info.release,
        missingFunctions: missing,
      };
      if (!this.reportedFunctions) {
        this.reportedFunctions = true;
        this.logger.info('connected to Moodle', { site: info.sitename, release: info.release, functionsOffered: offered.size });
        if (missing.length) {
          this.logger.warn("the token's web service lacks functions some tools need; those tools will fail until the Moodle admin adds them", {
            missingFunctions: missing,
          });
        }
      }
    } catch (err) {
      if (this.tokenless && err instanceof MoodleError && err.kind === 'invalid_token') {
        // No token of its own (per-teacher mode): Moodle answering "invalid token" is Moodle answering.
        this.state = { moodleReachable: true, checkedAt: new Date().toISOString(), missingFunctions: [] };
        if (!this.reportedFunctions) {
          this.reportedFunctions = true;
          this.logger.info('Moodle answers (probed without a token: each teacher\'s token is checked when they are enrolled)');
        }
        if (was !== true) this.onChange?.(true);
        return;
      }
      const message = err instanceof MoodleError ? err.message : 'probe failed';
      this.state = { ...this.state, moodleReachable: false, checkedAt: new Date().toISOString(), lastError: message };
      if (was) this.logger.warn('Moodle became unreachable; /ready answers 503 until it is back', { error: message });
      else if (!this.everUnreachableLogged) this.logger.error('Moodle is not answering; /ready answers 503 until it does', { error: message });
      this.everUnreachableLogged = true;
    }
    if (was !== this.state.moodleReachable) {
      if (this.state.moodleReachable && this.everUnreachableLogged) this.logger.info('Moodle is reachable again');
      this.onChange?.(this.state.moodleReachable);
    }
  }

  private everUnreachableLogged = false;
}
