import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { readSecretLine, readTokenFile, type SecretInput } from './cliInput';

/** A stand-in for a terminal: raw mode switched on and off, as tty.ReadStream does. */
function fakeTty() {
  const input = new PassThrough() as PassThrough & SecretInput & { modes: boolean[] };
  input.isTTY = true;
  input.modes = [];
  input.setRawMode = (mode: boolean) => input.modes.push(mode);
  const shown: string[] = [];
  const output = new PassThrough();
  output.on('data', (d) => shown.push(String(d)));
  return { input, output, shown };
}

describe('reading a secret', () => {
  it('asks on a terminal without echoing, and honours backspace', async () => {
    const { input, output, shown } = fakeTty();
    const line = readSecretLine(input, output, 'token: ', true);
    input.write('abcx');
    input.write('\u007fdef\r');
    await expect(line).resolves.toBe('abcdef');
    expect(shown.join('')).toBe('token: \n');
    expect(input.modes).toEqual([true, false]);
  });

  it('cancels on Ctrl-C and leaves raw mode', async () => {
    const { input, output } = fakeTty();
    const line = readSecretLine(input, output, 'password: ', false);
    input.write('sec\u0003');
    await expect(line).rejects.toThrow('cancelled');
    expect(input.modes).toEqual([true, false]);
  });

  it('takes the first line of a pipe, keeping a password as typed but without the line end', async () => {
    const input = new PassThrough();
    const line = readSecretLine(input, new PassThrough(), 'unused', false);
    input.end(' pass word \r\nsecond line\n');
    await expect(line).resolves.toBe(' pass word ');
  });

  it('reads a whole pipe without a line end, and trims a token', async () => {
    const input = new PassThrough();
    const line = readSecretLine(input, new PassThrough(), 'unused', true);
    input.end('  tok3n  ');
    await expect(line).resolves.toBe('tok3n');
  });
});

describe('reading a token file', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'token-file-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns the one line it holds', () => {
    const f = path.join(dir, 'ok');
    writeFileSync(f, 'abcdef0123456789\n');
    expect(readTokenFile(f)).toBe('abcdef0123456789');
  });

  it('refuses several lines without quoting them, and names a missing file', () => {
    const f = path.join(dir, 'two');
    writeFileSync(f, 'secret-one\nsecret-two\n');
    expect(() => readTokenFile(f)).toThrow(/must hold the token alone/);
    try {
      readTokenFile(f);
    } catch (err) {
      expect((err as Error).message).not.toContain('secret-one');
    }
    expect(() => readTokenFile(path.join(dir, 'none'))).toThrow(`cannot read ${path.join(dir, 'none')} (no such file)`);
  });
});
