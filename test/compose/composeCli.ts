import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseYaml } from '../helpers/yaml.js';

/**
 * Runs the real `docker-compose` binary on the repository's docker-compose.yml,
 * statically (`config` needs no engine). Every run gets a fixed environment:
 * only PATH and HOME from the caller plus `env`, and an env file of its own,
 * so neither the runner's variables nor an operator's .env leak in.
 */
export const ROOT = path.resolve(__dirname, '../..');
const BINARY = 'docker-compose';
/** Every optional profile, so `config` shows every service under compose v2 too (1.29 always does). */
const ALL_PROFILES = ['--profile', 'proxy', '--profile', 'observability'];

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(file: string, args: string[], env: Record<string, string> = {}, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...env }, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new Error(
              `${file} is not installed. The compose tests run Debian's docker-compose package: ` +
                `bash scripts/ensure-deps.sh docker-compose:docker-compose (as root) or apt-get install docker-compose`,
            ),
          );
          return;
        }
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** `docker-compose version --short`, e.g. "1.29.2"; throws a clear error when the binary is missing. */
export async function composeVersion(): Promise<string> {
  const r = await run(BINARY, ['version', '--short']);
  if (r.code !== 0) throw new Error(`docker-compose version failed: ${r.stderr}`);
  return r.stdout.trim().replace(/^v/, '');
}

const envDir = mkdtempSync(path.join(os.tmpdir(), 'compose-test-'));
let envFiles = 0;
/** Removes the env files the runs wrote. */
export function cleanup(): void {
  rmSync(envDir, { recursive: true, force: true });
}

/** `docker-compose config` with these variables (written to a fresh env file) and every profile. */
export function composeConfig(vars: Record<string, string>, extraArgs: string[] = []): Promise<RunResult> {
  const envFile = path.join(envDir, `env-${++envFiles}`);
  writeFileSync(
    envFile,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  return run(BINARY, ['--env-file', envFile, ...ALL_PROFILES, 'config', ...extraArgs]);
}

/** The fields of a rendered service that the tests look at. */
export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  container_name?: string;
  command?: string[] | string;
  ports?: unknown[];
  expose?: unknown[];
  restart?: string;
  profiles?: string[];
  deploy?: { replicas?: number | string };
  depends_on?: Record<string, { condition?: string }> | string[];
  environment?: Record<string, string | null>;
  healthcheck?: { test?: string[] | string; disable?: boolean; interval?: string };
  logging?: { driver?: string; options?: Record<string, string> };
}

export interface ComposeModel {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/**
 * The rendered model as an object. Compose v2 prints JSON itself; 1.29 only
 * YAML, which is read with the PyYAML its Debian package depends on.
 */
export async function renderedModel(version: string, vars: Record<string, string>): Promise<ComposeModel> {
  const v2 = !version.startsWith('1.');
  const r = await composeConfig(vars, v2 ? ['--format', 'json'] : []);
  if (r.code !== 0) throw new Error(`docker-compose config failed (${r.code}): ${r.stderr}`);
  if (v2) return JSON.parse(r.stdout) as ComposeModel;
  return parseYaml<ComposeModel>(r.stdout);
}
