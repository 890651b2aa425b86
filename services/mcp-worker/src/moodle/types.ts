/**
 * The worker's view of Moodle: one call of a web service function.
 *
 * Parameters are plain JS values; the client encodes them the way Moodle's
 * REST server expects (`courseids[0]=2`, `grades[0][userid]=5`, booleans as
 * 1/0). It resolves with Moodle's decoded JSON answer (`null` for functions
 * that return nothing) or rejects with a MoodleError.
 */
export interface MoodleApi {
  call<T = unknown>(wsfunction: string, params: MoodleParams, opts?: MoodleCallOptions): Promise<T>;
}

export type MoodleScalar = string | number | boolean;
export type MoodleValue = MoodleScalar | MoodleValue[] | { [key: string]: MoodleValue | undefined } | undefined;
export type MoodleParams = { [key: string]: MoodleValue };

export interface MoodleCallOptions {
  /** Aborts the upstream request (client cancelled, or session closed). */
  signal?: AbortSignal;
  /** Secret. The web service token of this call (a teacher's own), instead of the client's default one. */
  token?: string;
  /**
   * A write changes Moodle's state: it is never retried blindly and never
   * served from a cache. Reads are retried with backoff on transient errors.
   */
  write?: boolean;
  /**
   * For writes: the read functions whose cached answers this write makes stale,
   * with the parameters that select them (used by the cache layer).
   */
  invalidates?: { wsfunction: string; params?: MoodleParams }[];
}

/** `inner` calling Moodle with `token` (a teacher's own): the view the cache wraps for that teacher. */
export function withToken(inner: MoodleApi, token: string): MoodleApi {
  return { call: (wsfunction, params, opts) => inner.call(wsfunction, params, { ...opts, token }) };
}
