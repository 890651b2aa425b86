/**
 * Who a session acts as in Moodle, and with which token each of its calls goes.
 *
 *   per-teacher  a network session belongs to the teacher named by its verified
 *                client certificate (the CN HAProxy passes in the PROXY v2
 *                header); the teacher's own token comes from the registry, and
 *                is looked up again at every call, so a revocation, a rotated
 *                token or a changed flag applies to open sessions at once.
 *                Without a certificate nothing is served (demo: UNIDENTIFIED_TEACHER).
 *                Over stdio the session is MOODLE_TOKEN's user: the teacher's own token.
 *   shared       every session acts as MOODLE_TOKEN's user (explicit, warned about).
 *
 * Each token gets its own cached view of Moodle: cache entries, coalesced
 * calls and near-cache copies are scoped by the token (cache/keys.ts), so an
 * answer is only ever handed to the Moodle user it was fetched for.
 */
import type { CachedMoodle } from '../cache/cached-moodle.js';
import type { CacheStore } from '../cache/cache-store.js';
import { withToken, type MoodleApi } from '../moodle/types.js';
import type { TeacherDirectory } from '../teachers/directory.js';

export type Principal = { kind: 'teacher'; name: string; via: 'certificate' | 'demo' } | { kind: 'shared' } | { kind: 'stdio' };

export type SessionIdentity = { ok: true; principal: Principal } | { ok: false; message: string };

/** What one tool call runs with. */
export interface CallIdentity {
  moodle: CachedMoodle;
  /** The teacher (per-teacher mode), for the rate limit, audit and last-seen. */
  teacher?: string;
  /** Fields every log line of the call carries: who, as which Moodle user. */
  log: { identity: string; teacher?: string; moodleUserId?: number };
  readOnly: boolean;
  /** Course allow-list; null: any course Moodle allows. */
  courses: number[] | null;
}

export interface IdentitiesOptions {
  mode: 'per-teacher' | 'shared';
  store: CacheStore;
  /** Moodle (through the circuit breaker); each view adds its token. */
  inner: MoodleApi;
  baseUrl: string;
  /** MOODLE_TOKEN: shared mode's token, stdio's teacher's token. */
  ownToken?: string;
  /** Moodle user id of `ownToken`, once known (the readiness probe learns it). */
  ownUserId: () => number | undefined;
  directory?: TeacherDirectory;
  /** Demo only: connections without a certificate act as this teacher. */
  unidentifiedTeacher?: string;
}

/** What a client without an identity is told, on every request. */
export const IDENTITY_REQUIRED_MESSAGE =
  'This connection has no teacher identity, and this stack serves each teacher as their own Moodle user: ' +
  'connect to the TLS port (3443) with your own client certificate (ncat --ssl --ssl-cert NAME.crt --ssl-key NAME.key VIP 3443, or mcp-connect). ' +
  'Your administrator issues it with make teacher-add NAME=you.';

export class Identities {
  private readonly own?: CachedMoodle;
  /** name → its view and the token it was made for (a rotated token gets a new view). */
  private readonly views = new Map<string, { token: string; moodle: CachedMoodle }>();

  constructor(private readonly opts: IdentitiesOptions) {
    if (opts.ownToken) this.own = opts.store.wrap(withToken(opts.inner, opts.ownToken), { baseUrl: opts.baseUrl, token: opts.ownToken });
  }

  get mode(): 'per-teacher' | 'shared' {
    return this.opts.mode;
  }

  /** A network session: `cn` is the verified client certificate's CN, if any. */
  forConnection(cn: string | undefined): SessionIdentity {
    if (this.opts.mode === 'shared') return { ok: true, principal: { kind: 'shared' } };
    if (cn) return { ok: true, principal: { kind: 'teacher', name: cn, via: 'certificate' } };
    if (this.opts.unidentifiedTeacher) return { ok: true, principal: { kind: 'teacher', name: this.opts.unidentifiedTeacher, via: 'demo' } };
    return { ok: false, message: IDENTITY_REQUIRED_MESSAGE };
  }

  forStdio(): SessionIdentity {
    return { ok: true, principal: this.opts.mode === 'shared' ? { kind: 'shared' } : { kind: 'stdio' } };
  }

  /** The identity of one call now, or why the call is refused (a message for the teacher; no secret in it). */
  resolve(p: Principal): CallIdentity | { refused: string } {
    if (p.kind !== 'teacher') {
      const moodleUserId = this.opts.ownUserId();
      return { moodle: this.own!, log: { identity: p.kind, ...(moodleUserId ? { moodleUserId } : {}) }, readOnly: false, courses: null };
    }
    const dir = this.opts.directory;
    if (!dir?.loaded) return { refused: 'The teacher registry is not reachable right now; try again in a minute.' };
    const t = dir.get(p.name);
    if (!t) return { refused: `Teacher "${p.name}" is not enrolled on this stack (or was revoked). Ask your administrator (make teacher-add NAME=${p.name}).` };
    if (t.disabled) return { refused: `Access for teacher "${p.name}" is disabled by the administrator.` };
    let view = this.views.get(p.name);
    if (!view || view.token !== t.token) {
      view = { token: t.token, moodle: this.opts.store.wrap(withToken(this.opts.inner, t.token), { baseUrl: this.opts.baseUrl, token: t.token }) };
      this.views.set(p.name, view);
    }
    return {
      moodle: view.moodle,
      teacher: p.name,
      log: { identity: p.via === 'demo' ? 'teacher (demo: no certificate)' : 'teacher', teacher: p.name, moodleUserId: t.moodleUserId },
      readOnly: t.readOnly,
      courses: t.courses,
    };
  }

  /** Forgets a removed teacher's view. */
  forget(name: string): void {
    this.views.delete(name);
  }
}
