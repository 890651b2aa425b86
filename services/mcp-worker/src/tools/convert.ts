/**
 * Conversions of Moodle's wire values into what tools return. Moodle sends
 * times as unix seconds with 0 for "not set", flags as 0/1 integers and
 * assignment grades as decimal strings ("85.00000", "-1.00000" = no grade).
 * Pure functions.
 */

/** ISO 8601 UTC ("2025-03-01T09:30:00Z") for unix seconds; 0, negative or missing → null ("not set"). */
export function isoFromUnix(seconds: number | string | null | undefined): string | null {
  const n = typeof seconds === 'string' ? Number(seconds) : seconds;
  if (n === null || n === undefined || !Number.isFinite(n) || n <= 0) return null;
  return new Date(Math.round(n * 1000)).toISOString().replace(/\.000Z$/, 'Z');
}

/** Current time in unix seconds (Moodle's unit). */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** "2025-03-01 09:30 UTC" for text renderings; "not set" for null. */
export function formatWhen(iso: string | null | undefined): string {
  if (!iso) return 'not set';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * A grade Moodle sent as number or decimal string. Empty, non-numeric and
 * negative values (Moodle's -1 means "not graded") give null.
 */
export function parseGrade(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < 0) return null;
  return roundGrade(n);
}

/** Rounds away float noise (Moodle stores grades with 5 decimals). */
export function roundGrade(n: number): number {
  return Math.round(n * 100_000) / 100_000;
}

/** Moodle's 0/1 (or boolean, or "1") flags; missing → null. */
export function flag(value: number | boolean | string | null | undefined): boolean | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'boolean') return value;
  return Number(value) !== 0;
}

/** A number Moodle may send as string or omit; non-numeric → null. */
export function numberOrNull(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}
