/** The key layout: canonical parameters, site and token scopes, no secret in any key. */
import { CacheKeys, canonicalJson, KEY_VERSION, siteHash } from './keys.js';

describe('canonicalJson', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: true } })).toBe('{"a":{"c":true,"d":[3,1]},"b":1}');
    expect(canonicalJson({ a: { c: true, d: [3, 1] }, b: 1 })).toBe(canonicalJson({ b: 1, a: { d: [3, 1], c: true } }));
    expect(canonicalJson({ ids: [1, 2] })).not.toBe(canonicalJson({ ids: [2, 1] }));
  });

  it('drops undefined members, so an omitted and an undefined parameter are the same request', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it('keeps a number and a string of the same digits apart', () => {
    expect(canonicalJson({ id: 2 })).not.toBe(canonicalJson({ id: '2' }));
  });
});

describe('CacheKeys', () => {
  const token = 'the-secret-moodle-token-0123456789';

  it('namespaces every key with the prefix and the layout version', () => {
    const k = new CacheKeys('mcp', 'https://moodle.example', token).forCall('core_course_get_courses', {});
    for (const key of [k.entry, k.fnGen, k.paramsGen, k.lock('a.b')]) expect(key.startsWith(`mcp:${KEY_VERSION}:`)).toBe(true);
    expect(k.entry).toMatch(/^mcp:v1:[0-9a-f]{16}:[0-9a-f]{32}:core_course_get_courses:[0-9a-f]{32}$/);
  });

  it('never contains the token', () => {
    const keys = new CacheKeys('mcp', 'https://moodle.example', token);
    const k = keys.forCall('core_course_get_courses', { token });
    expect([k.entry, k.fnGen, k.paramsGen, k.lock('x.y'), keys.fillChannel].join(' ')).not.toContain(token);
  });

  it('gives two tokens different entries but the same generations (a write affects every scope)', () => {
    const a = new CacheKeys('mcp', 'https://moodle.example', token).forCall('mod_assign_get_submissions', { assignmentids: [1] });
    const b = new CacheKeys('mcp', 'https://moodle.example', 'another-token-0123456789').forCall('mod_assign_get_submissions', { assignmentids: [1] });
    expect(a.entry).not.toBe(b.entry);
    expect(a.fnGen).toBe(b.fnGen);
    expect(a.paramsGen).toBe(b.paramsGen);
  });

  it('treats a trailing slash or upper-case host as the same site, and another path as another site', () => {
    expect(siteHash('https://Moodle.Example/')).toBe(siteHash('https://moodle.example'));
    expect(siteHash('https://moodle.example/school2')).not.toBe(siteHash('https://moodle.example'));
  });
});
