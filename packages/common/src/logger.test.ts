import Transport from 'winston-transport';
import { createLogger } from './logger';

/** A logger whose lines are kept, and a meta object that counts how often it was read. */
function setUp(level: string) {
  const lines: string[] = [];
  class Capture extends Transport {
    override log(info: Record<string | symbol, unknown>, next: () => void): void {
      lines.push(String(info[Symbol.for('message')]));
      next();
    }
  }
  const logger = createLogger({ service: 'test', level, console: false, transports: [new Capture()] });
  let reads = 0;
  const meta = {
    get detail() {
      reads++;
      return 'secret-free detail';
    },
  };
  return { logger, lines, meta, reads: () => reads };
}

describe('createLogger', () => {
  it('does no work for an entry below the level (its fields are never read)', () => {
    const { logger, lines, meta, reads } = setUp('warn');
    logger.info('tool call', meta);
    logger.debug('session opened', meta);
    expect(lines).toEqual([]);
    expect(reads()).toBe(0);
  });

  it('writes entries at and above the level, with their fields', () => {
    const { logger, lines, meta } = setUp('info');
    logger.info('tool call', meta);
    logger.error('failed', { code: 7 });
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 'info', message: 'tool call', detail: 'secret-free detail', service: 'test' }),
      expect.objectContaining({ level: 'error', message: 'failed', code: 7 }),
    ]);
  });

  it("keeps a child logger's fields, and its level filter", () => {
    const { logger, lines } = setUp('info');
    const child = logger.child({ sessionId: 's1' });
    child.debug('dropped');
    child.info('tool call', { tool: 'get_courses' });
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ message: 'tool call', sessionId: 's1', tool: 'get_courses' }),
    ]);
  });

  it('follows a change of the level at run time', () => {
    const { logger, lines } = setUp('warn');
    logger.info('dropped');
    logger.level = 'debug';
    logger.debug('kept');
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(['kept']);
  });
});
