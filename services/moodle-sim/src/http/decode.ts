/**
 * Decodes an `application/x-www-form-urlencoded` string the way PHP fills
 * `$_POST` / `$_GET` (php_default_treat_data + php_register_variable), which is
 * what Moodle's REST server reads its parameters from.
 *
 * Pure: string in, value out. No I/O, no logging.
 *
 * PHP semantics reproduced here:
 * - `+` is a space, `%XX` is a byte; a malformed `%` escape is kept literally.
 * - `a[b][c]=v` nests; `a[]=v` appends at (highest integer key + 1).
 * - Leading spaces of a name are dropped; in the base name (before the first
 *   `[`) `.` and ` ` become `_`, and a `[` without a matching `]` becomes `_`
 *   (the rest of the name is then taken literally).
 * - Characters after a closing `]` that do not open a new `[...]` are ignored.
 * - A pair whose base name is empty is ignored.
 * - A later scalar replaces an earlier array and vice versa (last one wins).
 * - Nesting deeper than `maxDepth` (PHP's max_input_nesting_level, 64) drops
 *   the pair.
 *
 * PHP arrays are ordered maps, and order matters to Moodle (a multiple
 * structure is read in insertion order), so arrays are `Map`s here: a plain JS
 * object would reorder integer-like keys.
 */

/** A decoded value: a string leaf or a PHP array (ordered map). */
export type PhpValue = string | PhpArray;
export type PhpArray = Map<string, PhpValue>;

export interface DecodeOptions {
  /** PHP's max_input_nesting_level; pairs nested deeper are dropped. */
  maxDepth?: number;
}

const INT_KEY = /^(0|-?[1-9][0-9]*)$/;

/** Percent-decodes like PHP's urldecode: `+` → space, bad escapes kept as-is, bytes read as UTF-8. */
export function phpUrlDecode(s: string): string {
  const withSpaces = s.replace(/\+/g, ' ');
  if (!withSpaces.includes('%')) return withSpaces;
  const bytes: number[] = [];
  for (let i = 0; i < withSpaces.length; ) {
    if (withSpaces[i] === '%' && /^[0-9a-fA-F]{2}$/.test(withSpaces.slice(i + 1, i + 3))) {
      bytes.push(parseInt(withSpaces.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      const ch = String.fromCodePoint(withSpaces.codePointAt(i)!);
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
      i += ch.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Splits a raw variable name into the base name and its bracket keys (undefined = `[]`). */
export function parseName(raw: string): { base: string; keys: (string | undefined)[] } | null {
  const name = raw.replace(/^ +/, '');
  const open = name.indexOf('[');
  let baseRaw = open === -1 ? name : name.slice(0, open);
  const keys: (string | undefined)[] = [];
  if (open !== -1) {
    let rest = name.slice(open);
    let first = true;
    while (rest.startsWith('[')) {
      const close = rest.indexOf(']');
      if (close === -1) {
        // Unclosed bracket: in the first position PHP turns it into '_' and keeps the rest of the name.
        if (first) baseRaw = baseRaw + '_' + rest.slice(1);
        break;
      }
      keys.push(close === 1 ? undefined : rest.slice(1, close));
      rest = rest.slice(close + 1);
      first = false;
      // Anything between `]` and the next `[` ends the key list (PHP ignores the tail).
      if (!rest.startsWith('[')) break;
    }
  }
  const base = baseRaw.replace(/[. ]/g, '_');
  if (base === '') return null;
  return { base, keys };
}

function nextIndex(arr: PhpArray): string {
  let max = -1;
  for (const k of arr.keys()) if (INT_KEY.test(k)) max = Math.max(max, Number(k));
  return String(max + 1);
}

/** Assigns `value` at `path` inside `root`, creating arrays on the way (PHP's register_variable). */
function assign(root: PhpArray, path: (string | undefined)[], value: string): void {
  let cur = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] ?? nextIndex(cur);
    const last = i === path.length - 1;
    if (last) {
      cur.set(key, value);
      return;
    }
    const existing = cur.get(key);
    if (existing instanceof Map) {
      cur = existing;
    } else {
      const fresh: PhpArray = new Map();
      cur.set(key, fresh);
      cur = fresh;
    }
  }
}

/** Decodes a form body or query string (without the leading `?`). */
export function decodeForm(input: string, opts: DecodeOptions = {}): PhpArray {
  const maxDepth = opts.maxDepth ?? 64;
  const out: PhpArray = new Map();
  if (input === '') return out;
  for (const pair of input.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = phpUrlDecode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : phpUrlDecode(pair.slice(eq + 1));
    const parsed = parseName(rawName);
    if (!parsed) continue;
    if (parsed.keys.length > maxDepth) continue;
    assign(out, [parsed.base, ...parsed.keys], value);
  }
  return out;
}

/** Converts a decoded value to plain JSON-able data (arrays become objects keyed as PHP keys them). For logs and tests. */
export function toPlain(v: PhpValue): unknown {
  if (typeof v === 'string') return v;
  const o: Record<string, unknown> = {};
  for (const [k, val] of v) o[k] = toPlain(val);
  return o;
}
