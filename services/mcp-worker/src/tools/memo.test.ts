import { perObject } from './memo';

describe('perObject', () => {
  it('converts each object once and hands the same result back for it; another object, even an equal one, is converted anew', () => {
    let runs = 0;
    const convert = perObject((o: { n: number }) => {
      runs++;
      return { doubled: o.n * 2 };
    });
    const a = { n: 1 };
    const first = convert(a);
    expect(convert(a)).toBe(first);
    expect(runs).toBe(1);
    expect(convert({ n: 1 })).toEqual(first);
    expect(runs).toBe(2);
  });

  it('remembers results that are falsy too', () => {
    let runs = 0;
    const convert = perObject((_: object) => (runs++, null));
    const a = {};
    convert(a);
    convert(a);
    expect(runs).toBe(1);
  });
});
