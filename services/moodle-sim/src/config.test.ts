import { ConfigError } from '@moodle-mcp/common';
import { DEMO_TOKEN } from './auth/tokens';
import { loadConfig } from './config';

describe('moodle-sim configuration', () => {
  it('has working defaults', () => {
    expect(loadConfig({})).toMatchObject({ SIM_HOST: '127.0.0.1', SIM_PORT: 8088, SIM_TOKEN: DEMO_TOKEN, SIM_LATENCY_MS: 0, SIM_DEBUG: false });
  });

  it('reads every variable', () => {
    const token = 'a'.repeat(40);
    expect(loadConfig({ SIM_HOST: '0.0.0.0', SIM_PORT: '9000', SIM_TOKEN: token, SIM_LATENCY_MS: '25', SIM_DEBUG: 'true' })).toMatchObject({ SIM_HOST: '0.0.0.0', SIM_PORT: 9000, SIM_TOKEN: token, SIM_LATENCY_MS: 25, SIM_DEBUG: true });
  });

  it('names every bad variable and never echoes the token', () => {
    try {
      loadConfig({ SIM_PORT: 'eighty', SIM_TOKEN: 'short-secret!', SIM_LATENCY_MS: '-1' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/SIM_PORT/);
      expect(msg).toMatch(/SIM_TOKEN/);
      expect(msg).toMatch(/SIM_LATENCY_MS/);
      expect(msg).not.toContain('short-secret!');
    }
  });
});
