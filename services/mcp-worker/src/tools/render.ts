/**
 * Text renderings shared by tools. A tool's `text` is for a human or an
 * assistant skimming the answer; the complete data is in `structured`.
 */

/** Items shown in a text listing before it is cut. */
export const TEXT_LIST_MAX = 25;

/**
 * One block per item (each block may span lines), cut after `max` items with
 * a "… N more" line. `empty` is shown for no items.
 */
export function renderList<T>(items: readonly T[], render: (item: T) => string, empty: string, max = TEXT_LIST_MAX): string {
  if (items.length === 0) return empty;
  const shown = items.slice(0, max).map(render);
  if (items.length > max) shown.push(`… ${items.length - max} more (see the structured result)`);
  return shown.join('\n');
}

/** "3 students", "1 student". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

/** Indents every line of a block (for nested listings). */
export function indent(block: string, by = '  '): string {
  return block
    .split('\n')
    .map((line) => by + line)
    .join('\n');
}
