import { idSource } from './ids';

describe('idSource', () => {
  it('gives ids unique within a source and across sources (a random prefix per source)', () => {
    const [a, b] = [idSource(), idSource()];
    const ids = [...Array.from({ length: 1000 }, a), ...Array.from({ length: 1000 }, b)];
    expect(new Set(ids).size).toBe(2000);
    expect(ids[0]!.slice(0, 8)).not.toBe(ids[1000]!.slice(0, 8));
    expect(ids.every((id) => /^[A-Za-z0-9_-]+$/.test(id))).toBe(true);
  });
});
