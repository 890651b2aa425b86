#!/usr/bin/env node
/**
 * moodle-mcp-teachers — the operator's command line for the teacher registry
 * (teachers/registry.ts): enrol a teacher with their own Moodle token, list,
 * show, change flags, rotate the token, revoke. `--help` lists the commands
 * (teachers/cliArgs.ts). The environment is validated in teachers/cliConfig.ts.
 *
 * Exit codes: 0 done; 1 failed or refused (unknown teacher, Moodle refused the
 * token, registry down); 2 usage or environment error. No token, password or
 * key is ever printed, in results or in errors.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, errorMessage } from '@moodle-mcp/common';
import { redisEndpoint } from './cache/config.js';
import { CliError, parseArgs, USAGE } from './teachers/cliArgs.js';
import { runCommand } from './teachers/cliCommands.js';
import { cliSecrets, loadCliConfig } from './teachers/cliConfig.js';
import type { SecretInput } from './teachers/cliInput.js';
import { Output } from './teachers/cliOutput.js';
import { TokenCipher } from './teachers/cipher.js';
import { TeacherRegistry } from './teachers/registry.js';

export interface CliIo {
  stdin: SecretInput;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** How long the registry may take to accept the connection, ms. */
const CONNECT_TIMEOUT_MS = 5000;

/** Runs one command; resolves to the exit code. Every error is reported here, once. */
export async function main(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const out = new Output(io.stdout, io.stderr);
  let registry: TeacherRegistry | undefined;
  try {
    const cmd = parseArgs(argv);
    if (cmd.cmd === 'help') {
      out.lines([USAGE]);
      return 0;
    }
    const needs = { moodle: cmd.cmd === 'add' || cmd.cmd === 'rotate', key: cmd.cmd !== 'revoke' };
    const config = loadCliConfig(env, needs);
    out.addSecret(...cliSecrets(config));
    // revoke never opens a token: without REGISTRY_KEY a throwaway key fills the cipher's place.
    const cipher = new TokenCipher(config.REGISTRY_KEY ?? randomBytes(32));
    registry = new TeacherRegistry({
      url: config.REGISTRY_URL,
      password: config.REGISTRY_PASSWORD,
      keyPrefix: config.REGISTRY_KEY_PREFIX,
      cipher,
      connectionName: 'moodle-mcp-teachers',
      failFast: false,
      commandTimeoutMs: 5000,
    });
    if (!(await registry.ready(CONNECT_TIMEOUT_MS))) {
      throw new CliError(
        `the teacher registry at ${redisEndpoint(config.REGISTRY_URL)} did not accept a connection within ${CONNECT_TIMEOUT_MS / 1000} s: ` +
          'is it running (REGISTRY_URL), and is REGISTRY_PASSWORD right?',
        1,
      );
    }
    await runCommand(cmd, { registry, keyId: cipher.keyId, config, out, stdin: io.stdin, now: Date.now });
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      out.error(err.message);
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      out.error(err.message, false);
      return 2;
    }
    // Redis failures mid-command (timeouts, a lost connection); never a stack.
    out.error(`failed: ${errorMessage(err)}`);
    return 1;
  } finally {
    await registry?.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}
