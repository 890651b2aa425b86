import type { MoodleParams, MoodleValue } from './types.js';

/**
 * Encodes web service parameters the way Moodle's REST server reads them
 * (PHP's $_POST array syntax): `courseids[0]=2`, `options[0][name]=ids`,
 * `plugindata[assignfeedbackcomments_editor][text]=…`. Booleans become 1/0
 * (PARAM_BOOL accepts them); `undefined` fields are left out so Moodle
 * applies its defaults. Pure: no I/O.
 */
export function encodeMoodleParams(params: MoodleParams, into = new URLSearchParams()): URLSearchParams {
  for (const [key, value] of Object.entries(params)) append(into, key, value);
  return into;
}

function append(out: URLSearchParams, key: string, value: MoodleValue): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => append(out, `${key}[${i}]`, v));
    return;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) append(out, `${key}[${k}]`, v);
    return;
  }
  if (typeof value === 'boolean') {
    out.append(key, value ? '1' : '0');
    return;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new TypeError(`parameter ${key} is not a finite number`);
  }
  out.append(key, String(value));
}
