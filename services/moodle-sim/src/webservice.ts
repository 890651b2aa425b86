/**
 * One REST web service call, in the order webservice_base_server::run uses:
 * parse (format, token, function, parameters) → authenticate the token →
 * load the function and check the token's service → validate parameters →
 * execute → answer. Every failure is a MoodleException answered with HTTP 200
 * in the requested format. Pure with respect to I/O: request data in, answer out.
 */
import { Access } from './auth/access.js';
import type { TokenSpec } from './auth/tokens.js';
import type { Store } from './data/store.js';
import { MoodleException, exceptionBody, functionNotAllowed, invalidParameter, invalidRecord, invalidToken } from './errors.js';
import { FUNCTIONS, FUNCTION_NAMES } from './functions/index.js';
import type { PhpArray } from './http/decode.js';
import { xmlException, xmlResponse } from './http/xml.js';
import { validateParameters } from './params/validate.js';

export interface WsAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface WsEnv {
  store: Store;
  tokens: Record<string, TokenSpec>;
  wwwroot: string;
  debug: boolean;
}

/** The request fields Moodle consumes itself; everything else is a function parameter. */
export interface WsRequest {
  format: 'json' | 'xml';
  token: string;
  wsfunction: string;
  params: PhpArray;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Splits merged GET+POST variables like webservice_rest_server::parse_request. */
export function parseWsRequest(vars: PhpArray): WsRequest {
  const params = new Map(vars);
  const fmt = params.get('moodlewsrestformat');
  params.delete('moodlewsrestformat');
  const token = str(params.get('wstoken'));
  params.delete('wstoken');
  const wsfunction = str(params.get('wsfunction'));
  params.delete('wsfunction');
  // moodlewssetting* (raw, fileurl, filter, lang, timezone) are settings, not parameters.
  for (const k of [...params.keys()]) if (k.startsWith('moodlewssetting')) params.delete(k);
  return { format: fmt === 'json' ? 'json' : 'xml', token, wsfunction, params };
}

function run(env: WsEnv, req: WsRequest): unknown {
  const spec = Object.prototype.hasOwnProperty.call(env.tokens, req.token) ? env.tokens[req.token] : undefined;
  if (!spec || req.token === '') throw invalidToken();
  const access = new Access(env.store, spec);
  if (req.wsfunction === '') throw invalidParameter('Missing function name');
  const fn = FUNCTIONS.get(req.wsfunction);
  if (!fn) throw invalidRecord('external_functions', req.wsfunction, 'name');
  const serviceFunctions = spec.functions ?? [...FUNCTION_NAMES];
  if (!serviceFunctions.includes(fn.name)) throw functionNotAllowed(fn.name);
  const params = validateParameters(fn.params, req.params);
  return fn.handler({ store: env.store, access, wwwroot: env.wwwroot, token: req.token, serviceFunctions }, params);
}

/** Runs one call and renders the answer; unexpected errors become Moodle's generic exception, without details. */
export function handleWsCall(env: WsEnv, req: WsRequest): WsAnswer {
  let result: unknown;
  try {
    result = run(env, req);
  } catch (err) {
    const ex = err instanceof MoodleException ? err : new MoodleException('moodle_exception', 'generalexceptionmessage', 'Exception - internal error');
    return render(req.format, undefined, ex, env.debug);
  }
  return render(req.format, result, undefined, env.debug);
}

function render(format: 'json' | 'xml', result: unknown, ex: MoodleException | undefined, debug: boolean): WsAnswer {
  if (format === 'json') {
    return { status: 200, contentType: 'application/json', body: JSON.stringify(ex ? exceptionBody(ex, debug) : (result ?? null)) };
  }
  return { status: 200, contentType: 'application/xml; charset=utf-8', body: ex ? xmlException(ex, debug) : xmlResponse(result ?? null) };
}
