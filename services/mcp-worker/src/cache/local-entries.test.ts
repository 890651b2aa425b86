import { CacheKeys } from './keys.js';
import { LocalEntries } from './local-entries.js';
import type { Entry } from './entry.js';

const keys = new CacheKeys('mcp', 'https://moodle.school.example', 'token-0123456789');
const entry = (v: unknown): Entry => ({ value: v, fetchedAt: 1, gens: 'a.b' });
const live = (maxBytes = 1000, maxAgeMs = 5000) => {
  const l = new LocalEntries(maxBytes, maxAgeMs);
  l.setLive(true);
  return l;
};

describe('LocalEntries (the near cache)', () => {
  it('answers nothing until live, and forgets everything when it stops being live', () => {
    const l = new LocalEntries(1000, 5000);
    const k = keys.forCall('core_course_get_courses', {});
    l.put(k, entry(1), 10, l.epoch, 0);
    expect(l.get(k.entry, 0)).toBeUndefined();
    l.setLive(true);
    l.put(k, entry(1), 10, l.epoch, 0);
    expect(l.get(k.entry, 1)?.value).toBe(1);
    l.setLive(false);
    expect(l.size).toEqual({ entries: 0, bytes: 0 });
    l.setLive(true);
    expect(l.get(k.entry, 2)).toBeUndefined();
  });

  it('refuses an entry whose lookup began before a notice arrived', () => {
    const l = live();
    const k = keys.forCall('core_course_get_courses', {});
    const epoch = l.epoch;
    l.changed(['some:other:key']);
    l.put(k, entry('old'), 10, epoch, 0);
    expect(l.get(k.entry, 0)).toBeUndefined();
  });

  it("drops an entry when its key, its function's generation or its parameters' generation changes", () => {
    const l = live();
    const a = keys.forCall('core_course_get_courses', { a: 1 });
    const b = keys.forCall('core_course_get_courses', { b: 2 });
    const other = keys.forCall('core_enrol_get_enrolled_users', { courseid: 2 });
    const fill = () => {
      for (const k of [a, b, other]) l.put(k, entry(k.entry), 10, l.epoch, 0);
    };
    fill();
    l.changed([a.entry]);
    expect([a, b, other].map((k) => l.get(k.entry, 0) !== undefined)).toEqual([false, true, true]);
    fill();
    l.changed([b.paramsGen]);
    expect([a, b, other].map((k) => l.get(k.entry, 0) !== undefined)).toEqual([true, false, true]);
    fill();
    l.changed([a.fnGen]);
    expect([a, b, other].map((k) => l.get(k.entry, 0) !== undefined)).toEqual([false, false, true]);
    expect(l.size).toEqual({ entries: 1, bytes: 10 });
  });

  it('keeps at most maxBytes, evicting the oldest entries not answered since eviction last passed them', () => {
    const l = live(30);
    const k = [1, 2, 3, 4].map((i) => keys.forCall('core_course_get_courses', { i }));
    for (const x of k.slice(0, 3)) l.put(x, entry(x.entry), 10, l.epoch, 0);
    l.get(k[0]!.entry, 0); // now the most recently used
    l.put(k[3]!, entry('4'), 10, l.epoch, 0);
    expect(k.map((x) => l.get(x.entry, 0) !== undefined)).toEqual([true, false, true, true]);
    expect(l.size.bytes).toBe(30);
    l.put(keys.forCall('core_course_get_courses', { big: 1 }), entry('big'), 31, l.epoch, 0);
    expect(l.size.bytes).toBe(30);
  });

  it('answers an entry for at most maxAgeMs after it was read from Redis', () => {
    const l = live(1000, 5000);
    const k = keys.forCall('core_course_get_courses', {});
    l.put(k, entry(1), 10, l.epoch, 100);
    expect(l.get(k.entry, 5099)?.value).toBe(1);
    expect(l.get(k.entry, 5100)).toBeUndefined();
    expect(l.size.entries).toBe(0);
  });
});
