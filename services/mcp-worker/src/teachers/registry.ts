/**
 * The teacher registry: teacher name (the CN of their client certificate) →
 * their own Moodle web service token (encrypted, see cipher.ts) and flags.
 *
 * Stored in its own Redis (REGISTRY_URL), not in the cache's: that one keeps
 * nothing on disk and evicts under memory pressure, while this one is
 * configured to persist every change (appendonly, no eviction; see
 * redis/registry.conf). Every worker reads it, on any host, and hears of each
 * change on a pub/sub channel within milliseconds.
 *
 *   <p>:registry:v1:teachers              hash: name → JSON record (token sealed)
 *   <p>:registry:v1:changed               channel: the name of a teacher that changed
 *   <p>:registry:v1:seen                  hash: name → last tool call, epoch ms
 *   <p>:registry:v1:presence:<worker>     hash: name → open sessions on that worker (expires)
 */
import { Redis } from 'ioredis';
import { z } from 'zod';
import { TokenCipher, TokenCipherError } from './cipher.js';

/** What a teacher's name may be: it is the CN of their certificate (scripts/certs.sh checks the same). */
export const TEACHER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

export interface TeacherFlags {
  /** No write tool, whatever Moodle would allow. */
  readOnly: boolean;
  /** Course ids the teacher may use through the stack; null: every course Moodle lets them see. */
  courses: number[] | null;
  /** Kept, but refused (as if revoked) until enabled again. */
  disabled: boolean;
}

export interface TeacherRecord extends TeacherFlags {
  name: string;
  moodleUserId: number;
  moodleUsername: string;
  moodleFullname: string;
  /** Functions the tools need that the token's external service lacks, when it was checked. */
  missingFunctions: string[];
  createdAt: number;
  updatedAt: number;
}

/** A teacher with their token in clear: only ever in memory. */
export interface Teacher extends TeacherRecord {
  token: string;
}

const storedSchema = z.object({
  name: z.string().regex(TEACHER_NAME_PATTERN),
  token: z.string().min(1),
  moodleUserId: z.number().int().positive(),
  moodleUsername: z.string(),
  moodleFullname: z.string(),
  missingFunctions: z.array(z.string()).default([]),
  readOnly: z.boolean().default(false),
  courses: z.array(z.number().int().positive()).nullable().default(null),
  disabled: z.boolean().default(false),
  createdAt: z.number(),
  updatedAt: z.number(),
});

export interface RegistryOptions {
  url: string;
  password?: string;
  keyPrefix: string;
  cipher: TokenCipher;
  /** Name of the Redis connection (CLIENT LIST). */
  connectionName: string;
  /** Fail commands at once while disconnected (workers), or queue them until connected (the CLI). */
  failFast: boolean;
  /** Per command, ms. */
  commandTimeoutMs?: number;
}

/** Outcome of reading one stored record: a teacher, or why the record cannot be used (never with a secret). */
export type ReadResult = { ok: true; teacher: Teacher } | { ok: false; name: string; problem: string };

export class TeacherRegistry {
  private readonly redis: Redis;
  private subscriber?: Redis;
  private readonly keys: { teachers: string; changed: string; seen: string; presence: (worker: string) => string; presencePattern: string };

  constructor(private readonly opts: RegistryOptions) {
    const base = `${opts.keyPrefix}:registry:v1`;
    this.keys = {
      teachers: `${base}:teachers`,
      changed: `${base}:changed`,
      seen: `${base}:seen`,
      presence: (worker) => `${base}:presence:${worker}`,
      presencePattern: `${base}:presence:*`,
    };
    this.redis = new Redis(opts.url, {
      ...(opts.password ? { password: opts.password } : {}),
      connectionName: opts.connectionName,
      enableOfflineQueue: !opts.failFast,
      maxRetriesPerRequest: opts.failFast ? 1 : 3,
      commandTimeout: opts.commandTimeoutMs ?? 2000,
      connectTimeout: 5000,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    });
    // Connection problems are reported through the failing commands and `ready`.
    this.redis.on('error', () => undefined);
  }

  get connected(): boolean {
    return this.redis.status === 'ready';
  }

  /** Every stored record, decrypted; unusable ones are returned as problems. */
  async readAll(): Promise<ReadResult[]> {
    const all = await this.redis.hgetall(this.keys.teachers);
    return Object.entries(all).map(([name, json]) => this.decode(name, json));
  }

  async read(name: string): Promise<ReadResult | undefined> {
    const json = await this.redis.hget(this.keys.teachers, name);
    return json === null ? undefined : this.decode(name, json);
  }

  /** Adds or replaces a teacher, and tells every worker. */
  async put(teacher: Teacher): Promise<void> {
    if (!TEACHER_NAME_PATTERN.test(teacher.name)) throw new Error(`invalid teacher name "${teacher.name}"`);
    const stored = { ...teacher, token: this.opts.cipher.seal(teacher.name, teacher.token) };
    await this.redis.multi().hset(this.keys.teachers, teacher.name, JSON.stringify(stored)).publish(this.keys.changed, teacher.name).exec();
  }

  /** Removes a teacher (their token is gone), and tells every worker. False when there was none. */
  async remove(name: string): Promise<boolean> {
    const res = await this.redis.multi().hdel(this.keys.teachers, name).hdel(this.keys.seen, name).publish(this.keys.changed, name).exec();
    return Number(res?.[0]?.[1] ?? 0) > 0;
  }

  /**
   * Calls `onChange(name)` for every change, and `onChange(null)` each time
   * the subscription (re)starts: changes may have been missed meanwhile.
   */
  async subscribe(onChange: (name: string | null) => void): Promise<void> {
    const sub = this.redis.duplicate({ connectionName: `${this.opts.connectionName}-sub`, enableOfflineQueue: true });
    this.subscriber = sub;
    sub.on('error', () => undefined);
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.keys.changed && TEACHER_NAME_PATTERN.test(message)) onChange(message);
    });
    sub.on('ready', () => {
      sub.subscribe(this.keys.changed).then(
        () => onChange(null),
        () => undefined,
      );
    });
  }

  /** Records when each of these teachers last made a call. */
  async markSeen(seen: Map<string, number>): Promise<void> {
    if (seen.size === 0) return;
    await this.redis.hset(this.keys.seen, Object.fromEntries([...seen].map(([n, t]) => [n, String(t)])));
  }

  async lastSeen(): Promise<Map<string, number>> {
    const all = await this.redis.hgetall(this.keys.seen);
    return new Map(Object.entries(all).map(([n, t]) => [n, Number(t)]));
  }

  /** This worker's open sessions per teacher; the record expires unless reported again within `ttlMs`. */
  async reportPresence(workerId: string, sessions: Map<string, number>, ttlMs: number): Promise<void> {
    const key = this.keys.presence(workerId);
    const m = this.redis.multi().del(key);
    if (sessions.size > 0) m.hset(key, Object.fromEntries([...sessions].map(([n, c]) => [n, String(c)]))).pexpire(key, ttlMs);
    await m.exec();
  }

  /** Open sessions per teacher, summed over every worker that reported recently. */
  async presence(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', this.keys.presencePattern, 'COUNT', 100);
      cursor = next;
      for (const key of keys) {
        for (const [name, count] of Object.entries(await this.redis.hgetall(key))) out.set(name, (out.get(name) ?? 0) + Number(count));
      }
    } while (cursor !== '0');
    return out;
  }

  /** Waits (up to `timeoutMs`) until the connection is ready; false if it is not. */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.connected) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.redis.once('ready', onReady);
    });
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private decode(name: string, json: string): ReadResult {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      return { ok: false, name, problem: 'the stored record is not JSON' };
    }
    const parsed = storedSchema.safeParse(raw);
    if (!parsed.success)
      return { ok: false, name, problem: `the stored record is malformed (${parsed.error.issues.map((i) => i.path.join('.') || '(record)').join(', ')})` };
    if (parsed.data.name !== name) return { ok: false, name, problem: `the stored record names another teacher` };
    try {
      return { ok: true, teacher: { ...parsed.data, token: this.opts.cipher.open(name, parsed.data.token) } };
    } catch (err) {
      if (err instanceof TokenCipherError) return { ok: false, name, problem: err.message };
      throw err;
    }
  }
}
