/** The cache's environment variables: defaults, TTL overrides, and errors that name the variable. */
import { ConfigError, parseEnv } from '@moodle-mcp/common';
import { z } from 'zod';
import { cacheEnvShape, cacheSecrets, parseTtlOverrides } from './config.js';
import { DEFAULT_TTL_SECONDS, TtlPolicy } from './ttl.js';

const schema = z.object(cacheEnvShape);
const parse = (env: Record<string, string>) => parseEnv('mcp-worker', schema, env);

function problems(env: Record<string, string>): string[] {
  try {
    parse(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

it('has defaults for everything, and no Redis (cache off) unless REDIS_URL is set', () => {
  expect(parse({})).toEqual({
    REDIS_URL: undefined,
    REDIS_PASSWORD: undefined,
    REDIS_KEY_PREFIX: 'mcp',
    CACHE_ENABLED: true,
    CACHE_TTL_DEFAULT_SECONDS: 60,
    CACHE_TTL_OVERRIDES: {},
    CACHE_STALE_MAX_AGE_SECONDS: 3600,
    CACHE_MAX_ENTRY_BYTES: 1048576,
    CACHE_LOCAL_MAX_BYTES: 16777216,
    REDIS_COMMAND_TIMEOUT_MS: 1000,
    CACHE_LOCK_TTL_MS: 5000,
    CACHE_WAIT_TIMEOUT_MS: 30000,
  });
});

it('parses CACHE_TTL_OVERRIDES into per-function seconds', () => {
  expect(parse({ CACHE_TTL_OVERRIDES: 'core_course_get_courses=600, mod_assign_get_grades = 15' }).CACHE_TTL_OVERRIDES).toEqual({
    core_course_get_courses: 600,
    mod_assign_get_grades: 15,
  });
});

it('rejects a malformed CACHE_TTL_OVERRIDES with a message naming the variable and the bad item', () => {
  const [problem] = problems({ CACHE_TTL_OVERRIDES: 'core_course_get_courses=10m' });
  expect(problem).toMatch(/^CACHE_TTL_OVERRIDES: "core_course_get_courses=10m" is not function=seconds/);
  expect(parseTtlOverrides('Core-Course=5')).toMatchObject({ ok: false });
  expect(parseTtlOverrides('a=1,a=2')).toMatchObject({ ok: false, message: 'a is given twice' });
});

it('names every bad variable at once, without echoing a secret', () => {
  const found = problems({ REDIS_URL: 'http://redis:6379', REDIS_PASSWORD: 'abc', REDIS_COMMAND_TIMEOUT_MS: 'fast', CACHE_ENABLED: 'maybe' });
  expect(found.map((p) => p.split(':')[0]).sort()).toEqual(['CACHE_ENABLED', 'REDIS_COMMAND_TIMEOUT_MS', 'REDIS_PASSWORD', 'REDIS_URL']);
  expect(found.join('\n')).not.toContain('abc');
});

it('lists the Redis password and a password inside REDIS_URL as secrets', () => {
  expect(cacheSecrets({ REDIS_URL: 'redis://:p%40ss-in-url@redis:6379', REDIS_PASSWORD: 'separate-pass' })).toEqual(['separate-pass', 'p@ss-in-url']);
});

it('uses the TTL table, then overrides, then the default', () => {
  const ttl = new TtlPolicy(60, { core_course_get_courses: 600, local_custom_fn: 5 });
  expect(ttl.seconds('core_webservice_get_site_info')).toBe(DEFAULT_TTL_SECONDS.core_webservice_get_site_info);
  expect(ttl.seconds('core_course_get_courses')).toBe(600);
  expect(ttl.seconds('local_custom_fn')).toBe(5);
  expect(ttl.seconds('unknown_fn')).toBe(60);
  expect(ttl.seconds('mod_assign_get_submissions')).toBeLessThan(ttl.seconds('core_enrol_get_enrolled_users'));
});
