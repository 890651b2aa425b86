/**
 * Wire formats of the cache, pure code: the stored entry and the fill notice
 * published when a fill finishes. Anything that does not decode is treated as
 * absent (a miss, or no notice), never as an error of the call.
 */
import { MoodleError, type MoodleErrorKind } from '../moodle/errors.js';

/** A cached answer: the value, when it was fetched (epoch ms) and the generations it was fetched under. */
export interface Entry {
  value: unknown;
  fetchedAt: number;
  gens: string;
}

/** Serializes an entry; the value's JSON is embedded as is (`undefined` is stored as null). */
export function encodeEntry(value: unknown, fetchedAt: number, gens: string): string {
  const body = JSON.stringify(value) ?? 'null';
  return `{"t":${fetchedAt},"g":${JSON.stringify(gens)},"v":${body}}`;
}

export function decodeEntry(raw: string | null | undefined): Entry | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed = JSON.parse(raw) as { t?: unknown; g?: unknown; v?: unknown };
    if (typeof parsed.t !== 'number' || typeof parsed.g !== 'string' || !('v' in parsed)) return undefined;
    return { value: parsed.v, fetchedAt: parsed.t, gens: parsed.g };
  } catch {
    return undefined;
  }
}

/**
 * What an owner announces when its fill ends:
 * - `ok`: the entry is stored (waiters read it);
 * - `unstored`: Moodle answered but the answer was not stored (too large) — waiters call Moodle themselves;
 * - `error`: Moodle answered with an error a retry by the waiter would repeat — waiters fail with it;
 * - `released`: the owner gave up without an answer (cancelled, internal error) — a waiter takes over.
 */
export type FillNotice =
  | { lock: string; status: 'ok' | 'unstored' | 'released' }
  | { lock: string; status: 'error'; error: { kind: MoodleErrorKind; message: string; moodleErrorCode?: string; httpStatus?: number } };

const KINDS: ReadonlySet<string> = new Set<MoodleErrorKind>([
  'invalid_token',
  'function_unavailable',
  'permission_denied',
  'not_found',
  'invalid_parameter',
  'moodle_exception',
  'timeout',
  'unreachable',
  'http_error',
  'bad_response',
  'aborted',
]);

/** The notice for a failed fill: a MoodleError (except a cancellation) is passed on; anything else releases. */
export function noticeForError(lock: string, err: unknown): FillNotice {
  if (err instanceof MoodleError && err.kind !== 'aborted') {
    return { lock, status: 'error', error: { kind: err.kind, message: err.message, moodleErrorCode: err.moodleErrorCode, httpStatus: err.status } };
  }
  return { lock, status: 'released' };
}

export function encodeNotice(notice: FillNotice): string {
  return JSON.stringify(notice);
}

export function decodeNotice(raw: string): FillNotice | undefined {
  try {
    const n = JSON.parse(raw) as Partial<FillNotice> & { error?: { kind?: unknown; message?: unknown } };
    if (typeof n.lock !== 'string') return undefined;
    if (n.status === 'ok' || n.status === 'unstored' || n.status === 'released') return { lock: n.lock, status: n.status };
    if (n.status === 'error' && n.error && typeof n.error.kind === 'string' && KINDS.has(n.error.kind) && typeof n.error.message === 'string') {
      return n as FillNotice;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** The error another worker's fill ended with, as this worker's own MoodleError. */
export function errorFromNotice(wsfunction: string, error: Extract<FillNotice, { status: 'error' }>['error']): MoodleError {
  return new MoodleError(error.kind, wsfunction, error.message, { moodleErrorCode: error.moodleErrorCode, status: error.httpStatus });
}
