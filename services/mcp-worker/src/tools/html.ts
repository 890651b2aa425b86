/**
 * Moodle stores summaries, intros, messages and feedback as HTML. Assistants
 * read plain text better (and it costs fewer tokens), so tools show these
 * fields through `htmlToText`; text an assistant writes to Moodle goes through
 * `textToHtml`. Both are pure and never throw.
 */

/** Default cut for a summary shown in a listing. */
export const SUMMARY_MAX_CHARS = 300;

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  bull: '•',
  middot: '·',
  copy: '©',
  reg: '®',
  euro: '€',
  deg: '°',
  times: '×',
};

// Tags whose content is never readable text.
const INVISIBLE_BLOCKS = /<(script|style|head|template)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
// Tags that end a line of text (block elements and <br>).
const LINE_BREAKS = /<(br|hr)\b[^>]*>|<\/(p|div|li|h[1-6]|tr|blockquote|pre|ul|ol|table|section|article)\s*>/gi;
// Only real tags: "<" followed by a letter, "/" or "!" — so "a < b" stays text.
const ANY_TAG = /<!--[\s\S]*?-->|<\/?[a-zA-Z][^>]*>|<![^>]*>/g;
const ENTITY = /&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z][a-zA-Z0-9]*);/g;

/** Decodes HTML character references; unknown names stay as written. */
export function decodeEntities(text: string): string {
  return text.replace(ENTITY, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/**
 * Plain text of an HTML fragment: scripts and styles dropped, block ends and
 * <br> become line breaks, list items get "- ", entities decoded, runs of
 * spaces collapsed, blank lines removed. With `maxChars`, the result is cut
 * at a word boundary and ends with "…". `null`/`undefined` give "".
 */
export function htmlToText(html: string | null | undefined, maxChars?: number): string {
  if (!html) return '';
  const text = decodeEntities(
    html
      .replace(INVISIBLE_BLOCKS, ' ')
      .replace(/<li\b[^>]*>/gi, '\n- ')
      .replace(LINE_BREAKS, '\n')
      .replace(ANY_TAG, ' '),
  );
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.replace(/[\s\u00a0]+/g, ' ').trim())
    .filter((line) => line !== '' && line !== '-');
  const joined = lines.join('\n');
  return maxChars === undefined ? joined : truncate(joined, maxChars);
}

/** Cuts `text` to at most `maxChars` characters (the "…" included), preferring a word boundary. */
export function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  if (maxChars <= 1) return '…'.slice(0, Math.max(0, maxChars));
  const room = text.slice(0, maxChars - 1);
  // A word ends where the room ends if whitespace follows; else cut at the last
  // word boundary unless that throws away more than a third.
  const endsOnWord = /\s/.test(text.charAt(maxChars - 1));
  const lastSpace = room.search(/\s\S*$/);
  const cut = endsOnWord ? room : lastSpace > (maxChars * 2) / 3 ? room.slice(0, lastSpace) : room;
  return `${cut.trimEnd()}…`;
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * HTML (Moodle's FORMAT_HTML) for plain text an assistant wrote: escaped, one
 * <p> per paragraph (blank-line separated), single line breaks as <br>. So a
 * teacher's "<3" or "a < b" reaches the student as written, not as markup.
 */
export function textToHtml(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n+/)
    .map((para) => para.trim())
    .filter((para) => para !== '')
    .map((para) => `<p>${escapeHtml(para).replace(/\n/g, '<br>')}</p>`)
    .join('');
}
