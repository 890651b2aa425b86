/**
 * Secrets the teachers CLI reads: a token from a file or standard input, a
 * Moodle password. On a terminal they are asked for without echo; otherwise
 * (scripts, pipes) the first line of standard input is the secret. Errors name
 * the file, never its content.
 */
import { readFileSync } from 'node:fs';
import { CliError } from './cliArgs.js';

/** Standard input as the CLI uses it (a tty.ReadStream on a terminal). */
export interface SecretInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** Longest line read from standard input: a token is 32 characters, a password rarely 100. */
const MAX_LINE_BYTES = 64 * 1024;

/** The token in FILE: one line, surrounding white space removed. */
export function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'a directory' : (code ?? 'error');
    throw new CliError(`--token-file: cannot read ${path} (${why})`, 2);
  }
  const token = text.trim();
  if (token === '') throw new CliError(`--token-file: ${path} is empty`, 2);
  if (/\s/.test(token)) throw new CliError(`--token-file: ${path} must hold the token alone, on one line (it holds white space or several lines)`, 2);
  return token;
}

/**
 * One secret line, without its line end: asked for with `prompt` (on
 * `prompts`, without echo) when `input` is a terminal, else the first line of
 * `input`. `trim`: remove surrounding white space too (tokens; a password is
 * kept as typed).
 */
export async function readSecretLine(input: SecretInput, prompts: NodeJS.WritableStream, prompt: string, trim: boolean): Promise<string> {
  const line = input.isTTY && input.setRawMode ? await promptHidden(input, prompts, prompt) : await firstLine(input);
  return trim ? line.trim() : line;
}

function firstLine(input: SecretInput): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err?: Error) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.pause();
      if (err) return reject(err);
      const text = Buffer.concat(chunks).toString('utf8');
      const nl = text.indexOf('\n');
      resolve((nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string) => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(b);
      size += b.length;
      if (b.includes(0x0a)) finish();
      else if (size > MAX_LINE_BYTES) finish(new CliError(`standard input: no line end within ${MAX_LINE_BYTES} bytes`, 2));
    };
    const onEnd = () => finish();
    const onError = (err: Error) => finish(new CliError(`cannot read standard input (${err.message})`, 1));
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onError);
    input.resume();
  });
}

/** Reads a line in raw mode, echoing nothing; Ctrl-C cancels, backspace deletes. */
function promptHidden(input: SecretInput, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    output.write(prompt);
    input.setRawMode!(true);
    const finish = (err?: Error) => {
      input.off('data', onData);
      input.setRawMode!(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new CliError('cancelled', 1));
        if (ch === '\u0004') {
          if (value === '') return finish();
        } else if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}
