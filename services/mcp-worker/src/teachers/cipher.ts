/**
 * Encryption at rest of teachers' Moodle tokens in the registry: AES-256-GCM
 * (node:crypto, i.e. OpenSSL) under the operator's REGISTRY_KEY. The teacher's
 * name is authenticated with each token (AAD), so a ciphertext copied onto
 * another teacher's record does not decrypt. Stored form:
 *
 *   v1.<key id>.<iv b64url>.<tag b64url>.<ciphertext b64url>
 *
 * <key id> is the first 8 hex digits of SHA-256 of the key: it tells an
 * operator that the registry was written under another key, without saying
 * anything about the key.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const AAD_PREFIX = 'moodle-mcp teacher token v1:';

export class TokenCipherError extends Error {}

/** Parses REGISTRY_KEY: 32 bytes as 64 hex digits or as base64 (44 characters). Returns a message naming what is wrong. */
export function parseRegistryKey(text: string): { ok: true; key: Buffer } | { ok: false; message: string } {
  const t = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== 32) return { ok: false, message: 'must be 32 random bytes as 64 hex digits or 44 base64 characters (e.g. openssl rand -hex 32)' };
  return { ok: true, key };
}

export class TokenCipher {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new TokenCipherError('the registry key must be 32 bytes');
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  seal(name: string, token: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(AAD_PREFIX + name, 'utf8'));
    const ct = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return [VERSION, this.keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  /** The token, or a TokenCipherError that says why not (never with any of the secret). */
  open(name: string, sealed: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new TokenCipherError(`the stored token of ${name} is not in the ${VERSION} format`);
    const [, keyId, iv, tag, ct] = parts as [string, string, string, string, string];
    if (keyId !== this.keyId)
      throw new TokenCipherError(`the stored token of ${name} was encrypted under another REGISTRY_KEY (key id ${keyId}; this one is ${this.keyId})`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(AAD_PREFIX + name, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new TokenCipherError(`the stored token of ${name} does not decrypt (altered, or stored under another name)`);
    }
  }
}
