/**
 * What the proxy shows of its state: the JSON shapes of /api/proxy/status
 * (workers, targets) and of the events pushed to /ws subscribers. Types only.
 */
import type { SwitchKind } from './metrics.js';

/** `draining`: the worker is shutting down; its open sessions finish, it takes no new ones. */
export type WorkerStatus = 'unknown' | 'up' | 'draining' | 'down';

export interface WorkerView {
  name: string;
  target: string;
  host: string;
  mcpPort: number;
  httpPort: number;
  status: WorkerStatus;
  /** Since when `status` holds (ISO time). */
  since: string;
  latencyMs?: number;
  lastError?: string;
  lastCheck?: string;
  /** Consecutive failed checks (0 after a passing one). */
  failedChecks: number;
  /** Drained by the operator: keeps its sessions, takes no new ones. */
  drained: boolean;
}

export interface TargetView {
  name: string;
  priority: number;
  minHealthy: number;
  healthy: boolean;
  since: string;
  passing: number;
  workers: WorkerView[];
}

/** Every change the proxy makes or sees; pushed to /ws subscribers as JSON. */
export type ProxyEvent =
  | { type: 'worker'; time: string; worker: string; target: string; status: WorkerStatus; error?: string }
  | { type: 'target'; time: string; target: string; healthy: boolean }
  | { type: 'switch'; time: string; from: string; to: string; kind: SwitchKind; reason: string }
  | { type: 'drain' | 'enable'; time: string; worker: string; by: string }
  | { type: 'no_healthy_target'; time: string; active: string }
  | { type: 'haproxy'; time: string; ok: boolean; message: string };
