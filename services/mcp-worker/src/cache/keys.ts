/**
 * Redis key layout of the response cache. Pure: strings in, strings out.
 *
 *   <p>:v1:<site>:<tok>:<fn>:<par>             entry: JSON {t, g, v}, PX = (TTL + staleMaxAge)
 *   <p>:v1:<site>:<tok>:<fn>:<par>:lock:<g>    fill lock: owner id, PX = lock TTL (renewed)
 *   <p>:v1:<site>:gen:<fn>                     generation of all answers of <fn> (every token scope)
 *   <p>:v1:<site>:gen:<fn>:<par>               generation of <fn> with exactly these parameters
 *   <p>:v1:<site>:fill                         pub/sub channel: "a fill finished" notices
 *
 * <p> is REDIS_KEY_PREFIX; `v1` is the layout/format version — bump it when the
 * entry format or key layout changes, so old entries are simply never read.
 * <site> = sha256(normalized base URL)[0:16], <tok> = sha256(token)[0:32]
 * (the token itself never reaches Redis), <par> = sha256(canonical params)[0:32].
 *
 * An entry is valid only while both generations it was filled under still
 * hold (see CachedMoodle); invalidation deletes a generation key, which makes
 * every dependent entry unreachable for every worker at once, in O(1).
 */
import { createHash } from 'node:crypto';
import type { MoodleParams } from '../moodle/types.js';

export const KEY_VERSION = 'v1';

function sha256hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * JSON with object keys sorted at every depth and `undefined` members dropped,
 * so equal parameter sets give equal strings whatever their key order.
 * Array order is kept: Moodle treats `courseids[0]`, `courseids[1]` in order.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const members = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
  return `{${members.join(',')}}`;
}

/** The site part of a key: same Moodle whatever the trailing slash or host case. */
export function siteHash(baseUrl: string): string {
  const u = new URL(baseUrl);
  const normalized = `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`;
  return sha256hex(normalized).slice(0, 16);
}

/** The token scope of a key. 128 bits: no two tokens of one site collide. */
export function tokenHash(token: string): string {
  return sha256hex(token).slice(0, 32);
}

/** Hashes of recent parameter sets: a hot call's key costs no SHA-256. Emptied when full. */
const PARAMS_HASHES = new Map<string, string>();
const PARAMS_HASHES_MAX = 10_000;

export function paramsHash(params: MoodleParams): string {
  const canonical = canonicalJson(params);
  let hash = PARAMS_HASHES.get(canonical);
  if (hash === undefined) {
    hash = sha256hex(canonical).slice(0, 32);
    if (PARAMS_HASHES.size >= PARAMS_HASHES_MAX) PARAMS_HASHES.clear();
    PARAMS_HASHES.set(canonical, hash);
  }
  return hash;
}

/** The keys for one cached call: entry, its two generations, and its lock. */
export interface CallKeys {
  entry: string;
  fnGen: string;
  paramsGen: string;
  /** The lock of a fill under generations `gens` ("<fnGen>.<paramsGen>"). */
  lock(gens: string): string;
}

/** Key builder for one (prefix, site, token scope). */
export class CacheKeys {
  private readonly site: string;
  private readonly scope: string;

  constructor(prefix: string, baseUrl: string, token: string) {
    this.site = `${prefix}:${KEY_VERSION}:${siteHash(baseUrl)}`;
    this.scope = `${this.site}:${tokenHash(token)}`;
  }

  /** Channel on which owners announce finished fills for this site. */
  get fillChannel(): string {
    return `${this.site}:fill`;
  }

  fnGen(wsfunction: string): string {
    return `${this.site}:gen:${wsfunction}`;
  }

  paramsGen(wsfunction: string, params: MoodleParams): string {
    return `${this.site}:gen:${wsfunction}:${paramsHash(params)}`;
  }

  forCall(wsfunction: string, params: MoodleParams): CallKeys {
    const ph = paramsHash(params);
    const entry = `${this.scope}:${wsfunction}:${ph}`;
    return {
      entry,
      fnGen: this.fnGen(wsfunction),
      paramsGen: `${this.site}:gen:${wsfunction}:${ph}`,
      lock: (gens: string) => `${entry}:lock:${gens}`,
    };
  }
}
