/**
 * Just enough PromQL reading for the observability tests: the vector
 * selectors of an expression (`name{matchers}`), so a test can tell an alert
 * that is silent because the stack is healthy from one that is silent because
 * it names a metric nobody exports.
 */
const MODIFIERS_WITH_LABELS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
/** Aggregations may put `by (...)` between their name and their argument. */
const AGGREGATIONS = ['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile'];
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', ...MODIFIERS_WITH_LABELS, ...AGGREGATIONS]);

/** Index just past the bracket that closes the one at `open` (strings inside are skipped). */
function closing(s: string, open: number): number {
  const pair: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
  const want = pair[s[open]!]!;
  for (let i = open + 1; i < s.length; i++) {
    if (s[i] === '"' || s[i] === "'") i = endOfString(s, i) - 1;
    else if (s[i] === want) return i + 1;
  }
  throw new Error(`unbalanced ${s[open]} in ${s}`);
}

function endOfString(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === s[start]) return i + 1;
  }
  throw new Error(`unterminated string in ${s}`);
}

/** The vector selectors of `expr`, in order, each once: `up{job="x"}`, `redis_up`, `{__name__="x"}`. */
export function vectorSelectors(expr: string): string[] {
  const found: string[] = [];
  let i = 0;
  const next = (from: number) => {
    let j = from;
    while (j < expr.length && /\s/.test(expr[j]!)) j++;
    return j;
  };
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === '"' || c === "'") i = endOfString(expr, i);
    else if (c === '[') i = closing(expr, i);
    else if (c === '{') {
      const end = closing(expr, i);
      found.push(expr.slice(i, end));
      i = end;
    } else if (/[0-9.]/.test(c)) {
      i += /^[0-9.]+(?:[eE][+-]?[0-9]+)?[a-zA-Z]*/.exec(expr.slice(i))![0].length;
    } else if (/[a-zA-Z_:]/.test(c)) {
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i))![0];
      const after = next(i + name.length);
      if (MODIFIERS_WITH_LABELS.has(name) && expr[after] === '(') i = closing(expr, after);
      else if (KEYWORDS.has(name.toLowerCase()) || expr[after] === '(') i += name.length;
      else if (expr[after] === '{') {
        const end = closing(expr, after);
        found.push(name + expr.slice(after, end));
        i = end;
      } else {
        found.push(name);
        i += name.length;
      }
    } else i++;
  }
  return [...new Set(found)];
}

/** The metric name of a selector (`mcp_up{a="b"}` → `mcp_up`), or undefined for `{__name__=...}`. */
export function metricName(selector: string): string | undefined {
  return /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(selector)?.[0];
}
