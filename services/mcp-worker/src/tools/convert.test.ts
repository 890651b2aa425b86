import { flag, formatWhen, isoFromUnix, numberOrNull, parseGrade } from './convert.js';

describe('isoFromUnix', () => {
  it('converts unix seconds to ISO 8601 UTC without milliseconds', () => {
    expect(isoFromUnix(1_700_000_000)).toBe('2023-11-14T22:13:20Z');
  });

  it('treats 0 (Moodle\'s "not set"), negatives, NaN and missing values as null', () => {
    expect(isoFromUnix(0)).toBeNull();
    expect(isoFromUnix(-5)).toBeNull();
    expect(isoFromUnix(Number.NaN)).toBeNull();
    expect(isoFromUnix(null)).toBeNull();
    expect(isoFromUnix(undefined)).toBeNull();
  });

  it('accepts numeric strings', () => {
    expect(isoFromUnix('1700000000')).toBe('2023-11-14T22:13:20Z');
    expect(isoFromUnix('')).toBeNull();
  });
});

describe('formatWhen', () => {
  it('renders an ISO time as date, minutes and UTC', () => {
    expect(formatWhen('2023-11-14T22:13:20Z')).toBe('2023-11-14 22:13 UTC');
  });

  it('says "not set" for null', () => {
    expect(formatWhen(null)).toBe('not set');
  });
});

describe('parseGrade', () => {
  it("reads Moodle's decimal strings", () => {
    expect(parseGrade('85.00000')).toBe(85);
    expect(parseGrade('7.50000')).toBe(7.5);
    expect(parseGrade(9.25)).toBe(9.25);
  });

  it('treats -1 (not graded), empty and non-numeric values as null', () => {
    expect(parseGrade('-1.00000')).toBeNull();
    expect(parseGrade('')).toBeNull();
    expect(parseGrade('abc')).toBeNull();
    expect(parseGrade(undefined)).toBeNull();
  });
});

describe('flag and numberOrNull', () => {
  it('reads 0/1 integers and booleans as booleans, missing as null', () => {
    expect(flag(1)).toBe(true);
    expect(flag(0)).toBe(false);
    expect(flag(true)).toBe(true);
    expect(flag('0')).toBe(false);
    expect(flag(undefined)).toBeNull();
  });

  it('reads numbers or numeric strings, else null', () => {
    expect(numberOrNull('10.5')).toBe(10.5);
    expect(numberOrNull(3)).toBe(3);
    expect(numberOrNull('x')).toBeNull();
    expect(numberOrNull(undefined)).toBeNull();
  });
});
