/**
 * In-process request coalescing: at most one `work` per key runs at a time;
 * callers that arrive while it runs share its outcome (value or error).
 *
 * Cancellation is per caller: a caller whose signal aborts stops waiting at
 * once, but the shared work is aborted only when every caller has given up —
 * one impatient client never fails the others.
 */
export interface FlightResult<T> {
  value: T;
  /** False for the caller that started the work, true for those that joined it. */
  joined: boolean;
}

interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  participants: number;
  group: string;
}

export class Flights<T> {
  private readonly inFlight = new Map<string, Flight<T>>();

  /** `abortError(group)` builds what a cancelled caller is rejected with. */
  constructor(private readonly abortError: (group: string) => Error) {}

  /** Number of keys with work running (for tests and diagnostics). */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Runs `work` for `key`, or joins the run already in progress. `group`
   * names the set of keys `detach(group)` acts on (the function name).
   */
  run(key: string, group: string, signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<FlightResult<T>> {
    if (signal?.aborted) return Promise.reject(this.abortError(group));
    let flight = this.inFlight.get(key);
    const joined = flight !== undefined;
    if (!flight) {
      const controller = new AbortController();
      const started: Flight<T> = { promise: Promise.resolve() as Promise<never>, controller, participants: 0, group };
      started.promise = Promise.resolve()
        .then(() => work(controller.signal))
        .finally(() => {
          if (this.inFlight.get(key) === started) this.inFlight.delete(key);
        });
      this.inFlight.set(key, started);
      flight = started;
    }
    return this.await(flight, joined, signal);
  }

  /**
   * New callers of `group` start fresh work instead of joining what runs now
   * (used after a write: work started before it may return the old state).
   * Callers already waiting keep waiting for their run.
   */
  detach(group: string): void {
    for (const [key, flight] of this.inFlight) if (flight.group === group) this.inFlight.delete(key);
  }

  private await(flight: Flight<T>, joined: boolean, signal: AbortSignal | undefined): Promise<FlightResult<T>> {
    flight.participants++;
    if (!signal) return flight.promise.then((value) => ({ value, joined }));
    return new Promise<FlightResult<T>>((resolve, reject) => {
      const onAbort = () => {
        if (--flight.participants === 0) flight.controller.abort();
        reject(this.abortError(flight.group));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve({ value, joined });
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }
}
