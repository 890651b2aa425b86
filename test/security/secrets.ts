/**
 * The secrets check: every secret of a native run, and every place an
 * operator (or an attacker reading over their shoulder) can see text: each
 * log file under the run directory, each /metrics, the proxy's /config,
 * /health and /api/proxy/status, and error output. Target: 0 occurrences.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DEMO_TOKEN } from '../../services/moodle-sim/src/auth/tokens.js';
import type { NativeStack } from '../helpers/nativeStack.js';

export interface Secret {
  name: string;
  value: string;
  /** Other forms it is sent in (e.g. a Basic Authorization header). */
  also?: string[];
}

/** A text someone can read, named by where it came from. */
export interface Exposure {
  source: string;
  text: string;
}

/** The run's secrets; read them before `local down`, which deletes the generated ones. */
export function runSecrets(stack: NativeStack): Secret[] {
  const file = (name: string) => readFileSync(path.join(stack.runDir, name), 'utf8').trim();
  const stats = file('stats.password');
  return [
    { name: 'Moodle token (demo)', value: DEMO_TOKEN },
    { name: 'Redis password', value: file('redis.password') },
    { name: 'proxy admin token', value: file('proxy.token') },
    { name: 'stats password', value: stats, also: [Buffer.from(`${stack.env.STATS_USER ?? 'admin'}:${stats}`).toString('base64')] },
  ];
}

/** Every log under the run directory (logs/ and its subdirectories, and any *.log elsewhere in it). */
export function runLogs(runDir: string): Exposure[] {
  const out: Exposure[] = [];
  const walk = (dir: string, inLogs: boolean) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, inLogs || name === 'logs');
      else if (st.isFile() && (inLogs || /\.log(\.\d+)?$/.test(name))) out.push({ source: path.relative(runDir, p), text: readFileSync(p, 'latin1') });
    }
  };
  walk(runDir, false);
  return out;
}

/** GETs each URL (status and body), as the text someone scraping or curling it sees. */
export async function httpExposures(urls: Record<string, string>, headers: Record<string, string> = {}): Promise<Exposure[]> {
  return Promise.all(
    Object.entries(urls).map(async ([source, url]) => {
      try {
        const r = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
        return { source: `${source} (${r.status})`, text: await r.text() };
      } catch (err) {
        return { source: `${source} (unreachable)`, text: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

export interface Occurrence {
  secret: string;
  source: string;
  count: number;
}

/** The forms a secret may leak in: as is, base64 (an Authorization header, a data URL) and URL-encoded. */
function forms(s: Secret): string[] {
  return [...new Set([s.value, Buffer.from(s.value).toString('base64'), encodeURIComponent(s.value), ...(s.also ?? [])])];
}

/** Each (secret, source) pair where the secret appears, with how often. */
export function findSecrets(secrets: Secret[], exposures: Exposure[]): Occurrence[] {
  const found: Occurrence[] = [];
  for (const s of secrets) {
    for (const e of exposures) {
      const count = forms(s).reduce((n, f) => n + e.text.split(f).length - 1, 0);
      if (count > 0) found.push({ secret: s.name, source: e.source, count });
    }
  }
  return found;
}
