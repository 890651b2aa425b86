import Transport from 'winston-transport';
import { createLogger, type Logger } from '@moodle-mcp/common';

/** A real winston logger (same formats as production) whose JSON lines are kept in memory. */
export function captureLogger(
  service: string,
  secrets: string[] = [],
  level = 'debug',
): { logger: Logger; lines: Record<string, unknown>[]; text: () => string } {
  const lines: Record<string, unknown>[] = [];
  class Capture extends Transport {
    override log(info: Record<string | symbol, unknown>, next: () => void): void {
      const out = info[Symbol.for('message')];
      lines.push(JSON.parse(String(out)));
      next();
    }
  }
  const logger = createLogger({ service, level, console: false, secrets, transports: [new Capture()] });
  return { logger, lines, text: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}
