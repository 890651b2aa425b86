import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** What survives a restart of the proxy: the active target and the operator's drains. */
export const lockSchema = z.object({
  active: z.string(),
  since: z.string(),
  reason: z.string(),
  drained: z.array(z.string()).default([]),
});
export type LockState = z.infer<typeof lockSchema>;

/**
 * `active_system.lock`: written atomically (a temporary file in the same
 * directory, then rename), so a crash mid-write leaves the old state, never
 * half a file. Reading reports a missing file as `undefined` and a damaged
 * one as an error naming the file.
 */
export class LockFile {
  constructor(readonly file: string) {}

  read(): LockState | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`lock file ${this.file}: ${(err as Error).message}`);
    }
    try {
      return lockSchema.parse(JSON.parse(text));
    } catch {
      throw new Error(`lock file ${this.file} is damaged (not the JSON the proxy writes); remove it to start from the configured priorities`);
    }
  }

  write(state: LockState): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o644 });
    renameSync(tmp, this.file);
  }
}
