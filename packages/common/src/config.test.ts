import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseEnv } from './config.js';
import { ConfigError } from './errors.js';

const schema = z.object({ TOKEN: z.string().min(8, 'must be at least 8 characters'), PORT: z.string().default('3000') });
let dir: string;
const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};
const problems = (env: Record<string, string>) => {
  try {
    parseEnv('svc', schema, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('parsed without a problem');
};

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'config-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseEnv: NAME_FILE (Docker secrets)', () => {
  it('reads the value from the file, without its trailing newline', () => {
    expect(parseEnv('svc', schema, { TOKEN_FILE: file('token', 's3cr3t-token\n') })).toEqual({ TOKEN: 's3cr3t-token', PORT: '3000' });
  });

  it('validates the value read like one from the environment, without showing it', () => {
    const message = problems({ TOKEN_FILE: file('short', 'abc\n') });
    expect(message).toContain('TOKEN: must be at least 8 characters');
    expect(message).not.toContain('abc');
  });

  it('names the variable and the path when the file cannot be read, or is empty', () => {
    expect(problems({ TOKEN_FILE: path.join(dir, 'missing') })).toContain(`TOKEN_FILE: cannot read ${path.join(dir, 'missing')} (no such file)`);
    expect(problems({ TOKEN_FILE: dir })).toContain('(a directory)');
    expect(problems({ TOKEN_FILE: file('empty', '\n') })).toContain('is empty');
  });

  it('refuses NAME and NAME_FILE together, naming both', () => {
    expect(problems({ TOKEN: 'abcdefghij', TOKEN_FILE: file('t2', 'klmnopqrst') })).toContain('TOKEN_FILE: TOKEN is set too; set one of them');
  });
});
