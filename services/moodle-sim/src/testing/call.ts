/**
 * A minimal Moodle REST client for tests: encodes nested parameters with PHP's
 * bracket syntax and POSTs them as a form, the way real clients do.
 */

export type WsParam = string | number | boolean | WsParam[] | { [key: string]: WsParam };

/** Flattens `{ options: [{ name: 'ids', value: '1' }] }` into `options[0][name]=ids&options[0][value]=1`. */
export function encodeParams(params: Record<string, WsParam>): URLSearchParams {
  const out = new URLSearchParams();
  const walk = (prefix: string, v: WsParam): void => {
    if (Array.isArray(v)) v.forEach((item, i) => walk(`${prefix}[${i}]`, item));
    else if (typeof v === 'object') for (const [k, item] of Object.entries(v)) walk(`${prefix}[${k}]`, item);
    else out.append(prefix, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  };
  for (const [k, v] of Object.entries(params)) walk(k, v);
  return out;
}

export interface CallOptions {
  token: string;
  /** Default 'json'; null leaves moodlewsrestformat out. */
  format?: 'json' | 'xml' | null;
  signal?: AbortSignal;
}

/** POSTs one call and returns the HTTP response (status, headers, raw text). */
export async function rawCall(baseUrl: string, wsfunction: string, params: Record<string, WsParam>, opts: CallOptions): Promise<{ status: number; contentType: string; text: string }> {
  const body = encodeParams(params);
  body.set('wstoken', opts.token);
  body.set('wsfunction', wsfunction);
  const format = opts.format === undefined ? 'json' : opts.format;
  if (format) body.set('moodlewsrestformat', format);
  const res = await fetch(`${baseUrl}/webservice/rest/server.php`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
    signal: opts.signal,
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** Calls with the JSON format and parses the answer (an exception body is returned as data, like Moodle sends it). */
export async function call<T = any>(baseUrl: string, token: string, wsfunction: string, params: Record<string, WsParam> = {}): Promise<T> {
  const r = await rawCall(baseUrl, wsfunction, params, { token });
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text.slice(0, 200)}`);
  return JSON.parse(r.text) as T;
}
