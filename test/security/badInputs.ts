/**
 * Generated bad input for the worker's TCP protocol, each with the answers
 * the README promises for it ("The protocol on the wire"). Pure: a seeded
 * PRNG in, bytes and expectations out, so a run is reproduced by its seed.
 */
import type { Prng } from '../../services/moodle-sim/src/data/prng.js';
import { classifyLine, forgedProxyHeader, randomBytes, splitLines, tlsClientHello, withoutNewlines } from './rawLines.js';

export type JsonRpcId = string | number;

/** What one answer must be. */
export type Answer =
  /** A JSON-RPC result (not a tool error). */
  | { kind: 'result' }
  /** A tool result with `isError: true` whose text names every string in `mentions`. */
  | { kind: 'tool_error'; mentions: string[] }
  /** A JSON-RPC error with this code whose message names every string in `mentions`. */
  | { kind: 'error'; code: number; mentions: string[] };

/** One answer the input must get; `id: null` answers come in the order of the input lines. */
export interface Expectation {
  id: JsonRpcId | null;
  answer: Answer;
}

export interface BadInput {
  category: Category;
  bytes: Buffer;
  /** Every answer, none for notifications and stray responses. */
  expect: Expectation[];
  /** The worker closes the connection after the last answer (line too long). */
  closes?: boolean;
}

/** Categories answered on a session that goes on; each goes on an initialized session but the last two. */
export const CONTINUING = [
  'malformed_json',
  'truncated_json',
  'wrong_types',
  'invalid_params',
  'invalid_tool_arguments',
  'huge_ids',
  'deep_nesting',
  'invalid_utf8',
  'binary_noise',
  'tls_client_hello',
  'unknown_method',
  'unknown_tool',
  'stray_messages',
  'before_initialize',
  'forged_proxy_header',
] as const;
export type Category = (typeof CONTINUING)[number] | 'oversize_line' | 'pipelined_requests';

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
/** Answer of the per-session call rate limit: legitimate for floods. */
export const RATE_LIMITED = -32029;

/** The address forged PROXY headers claim; it must never show up as a client's address. */
export const FORGED_ADDRESS = '10.66.66.66';
export const FORGED_CN = 'forged-teacher';

/** A tool as tools/list describes it (enough to get its arguments wrong). */
export interface ToolInfo {
  name: string;
  inputSchema: { properties?: Record<string, { type?: string }> };
  annotations?: { readOnlyHint?: boolean };
}

export interface GeneratorContext {
  rnd: Prng;
  /** A fresh request id (unique within a run). */
  id(): JsonRpcId;
  tools: ToolInfo[];
  maxLineBytes: number;
}

const error = (id: JsonRpcId | null, code: number, ...mentions: string[]): Expectation => ({ id, answer: { kind: 'error', code, mentions } });
const result = (id: JsonRpcId): Expectation => ({ id, answer: { kind: 'result' } });
const toolError = (id: JsonRpcId, ...mentions: string[]): Expectation => ({ id, answer: { kind: 'tool_error', mentions } });

function line(rnd: Prng, text: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(text), Buffer.from(rnd.next() < 0.2 ? '\r\n' : '\n')]);
}
const request = (id: JsonRpcId, method: string, params?: unknown) => JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });

const UNICODE = ['é', 'ü', 'ß', '漢字', '🎓', 'Ω', '\u200b', '"', '\\', '\t', '\u0000', '\u2028'];
/** An integer in [min, max], log-uniform: every scale is tried about as often. */
function logUniform(rnd: Prng, min: number, max: number): number {
  return Math.round(min * Math.pow(max / min, rnd.next()));
}

/** `length` characters or a few more; past 256 a random 256-character piece repeats. */
function randomText(rnd: Prng, length: number): string {
  let s = '';
  while (s.length < Math.min(length, 256)) s += rnd.next() < 0.9 ? String.fromCharCode(rnd.int(0x20, 0x7e)) : rnd.pick(UNICODE);
  return s.repeat(Math.ceil(length / s.length));
}

/** A well-formed request of the kind a client sends, to be broken. */
function validRequest(ctx: GeneratorContext): string {
  const { rnd } = ctx;
  return rnd.pick([
    () => request(ctx.id(), 'ping'),
    () => request(ctx.id(), 'tools/list', {}),
    () => request(ctx.id(), 'tools/call', { name: 'get_courses', arguments: { perPage: rnd.int(1, 50) } }),
    () => request(ctx.id(), 'tools/call', { name: 'search_courses', arguments: { query: randomText(rnd, rnd.int(1, 40)) } }),
  ])();
}

/**
 * -32700 (id null) for every line of `bytes` that is not blank; undefined when
 * a line happens to be JSON after all (the generator then tries again).
 */
function parseErrors(bytes: Buffer): Expectation[] | undefined {
  const kinds = splitLines(bytes).map(classifyLine);
  if (kinds.includes('json') || !kinds.includes('parse_error')) return undefined;
  return kinds.filter((k) => k === 'parse_error').map(() => error(null, PARSE_ERROR, 'Parse error'));
}

/** Tries `make` until its bytes are answered by parse errors only (each line), at most 50 times. */
function unparsable(category: Category, make: () => Buffer): BadInput {
  for (let attempt = 0; attempt < 50; attempt++) {
    const bytes = make();
    const expect = parseErrors(bytes);
    if (expect) return { category, bytes, expect };
  }
  return { category, bytes: Buffer.from('{\n'), expect: [error(null, PARSE_ERROR)] };
}

const MUTATIONS: ((s: string, rnd: Prng) => string)[] = [
  (s, rnd) => {
    const at = rnd.int(0, s.length - 1);
    return s.slice(0, at) + s.slice(at + 1);
  },
  (s, rnd) => {
    const at = rnd.int(0, s.length);
    return s.slice(0, at) + rnd.pick(['{', '}', '[', ']', ':', ',', '"', '\\']) + s.slice(at);
  },
  (s) => s.replace(/"/g, "'"),
  (s) => s.slice(0, -1) + ',}',
  (s) => s.replace(/"(\w+)":/g, '$1:'),
  (s, rnd) => s.replace(/"id":("[^"]*"|-?\d+)/, `"id":${rnd.pick(['NaN', 'undefined', 'Infinity', '0x1F', '.5', '01', '+1', "'x'"])}`),
  (s, rnd) => {
    const at = s.indexOf(',');
    return s.slice(0, at) + rnd.pick(['/* note */', '// note', '#']) + s.slice(at);
  },
  (s) => s.replace('"method":"', '"method":"\u0001\u0002'),
  (s) => s.slice(0, s.lastIndexOf('"')),
  (s) => s + s,
  (_s, rnd) => rnd.pick(['GET / HTTP/1.1\r\nHost: moodle\r\n\r\n', 'PING', 'quit', 'hello', 'SELECT * FROM mdl_user;', '<?xml version="1.0"?><methodCall/>', '{}}', '{"a":1}{"b":2}']),
];

const GENERATORS: Record<Category, (ctx: GeneratorContext) => BadInput> = {
  malformed_json: (ctx) => unparsable('malformed_json', () => line(ctx.rnd, ctx.rnd.pick(MUTATIONS)(validRequest(ctx), ctx.rnd))),

  truncated_json: (ctx) =>
    unparsable('truncated_json', () => {
      const whole = Buffer.from(validRequest(ctx));
      return line(ctx.rnd, whole.subarray(0, ctx.rnd.int(1, whole.length - 1)));
    }),

  wrong_types: (ctx) => {
    const { rnd } = ctx;
    const id = ctx.id();
    const wrong = () => rnd.pick<unknown>([42, -1.5, true, false, null, 'text', [], [1, 2], {}, { a: 1 }]);
    const cases: [string, Expectation[]][] = [
      [JSON.stringify(rnd.pick<unknown>([7, 'just a string', true, null, -0.25])), [error(null, INVALID_REQUEST, 'JSON-RPC 2.0 object')]],
      [JSON.stringify(rnd.pick([[], [JSON.parse(request(id, 'ping'))]])), [error(null, INVALID_REQUEST, 'batch')]],
      [JSON.stringify({ jsonrpc: rnd.pick<unknown>(['1.0', 2, null, '2']), id, method: 'ping' }), [error(id, INVALID_REQUEST, '"jsonrpc"')]],
      [JSON.stringify({ id, method: 'ping' }), [error(id, INVALID_REQUEST, '"jsonrpc"')]],
      [JSON.stringify({ jsonrpc: '2.0', id, method: rnd.pick<unknown>([5, true, null, ['ping'], { m: 1 }]) }), [error(id, INVALID_REQUEST, '"method"')]],
      [JSON.stringify({ jsonrpc: '2.0', id, method: 'ping', params: rnd.pick<unknown>(['x', 3, true, [1], null]) }), [error(id, INVALID_REQUEST)]],
      [JSON.stringify({ jsonrpc: '2.0', id: rnd.pick<unknown>([{ a: 1 }, [1], true, rnd.int(0, 1000) + 0.5]), method: 'ping' }), [error(null, INVALID_REQUEST)]],
      [JSON.stringify({ jsonrpc: '2.0', id }), [error(id, INVALID_REQUEST)]],
      [JSON.stringify({ jsonrpc: '2.0', id, method: 'ping', [randomText(rnd, 5).replace(/"/g, '')]: wrong() }), [error(id, INVALID_REQUEST)]],
    ];
    const [text, expect] = rnd.pick(cases);
    return { category: 'wrong_types', bytes: line(rnd, text), expect };
  },

  /** Right method, params of the wrong shape: JSON-RPC's Invalid params, naming the member. */
  invalid_params: (ctx) => {
    const { rnd } = ctx;
    const id = ctx.id();
    const notString = () => rnd.pick<unknown>([42, true, null, ['get_courses'], { n: 1 }]);
    const notObject = () => rnd.pick<unknown>(['{}', 42, true, [1, 2]]);
    const cases: [string, unknown, string][] = [
      ['tools/call', {}, 'name'],
      ['tools/call', { name: notString(), arguments: {} }, 'name'],
      ['tools/call', { name: 'get_courses', arguments: notObject() }, 'arguments'],
      ['tools/list', { cursor: rnd.pick<unknown>([7, true, { c: 1 }, ['x']]) }, 'cursor'],
      ['initialize', { protocolVersion: rnd.pick<unknown>([20250618, null, ['2025-06-18']]), capabilities: {}, clientInfo: { name: 'x', version: '1' } }, 'protocolVersion'],
      ['initialize', { protocolVersion: '2025-06-18', capabilities: {} }, 'clientInfo'],
    ];
    const [method, params, member] = rnd.pick(cases);
    return { category: 'invalid_params', bytes: line(rnd, request(id, method, params)), expect: [error(id, INVALID_PARAMS, member)] };
  },

  /** A read tool with one argument of the wrong type: a tool error naming the tool and the field. */
  invalid_tool_arguments: (ctx) => {
    const { rnd } = ctx;
    const id = ctx.id();
    const tools = ctx.tools.filter((t) => t.annotations?.readOnlyHint === true && Object.keys(t.inputSchema.properties ?? {}).length > 0);
    const tool = rnd.pick(tools);
    const [field, schema] = rnd.pick(Object.entries(tool.inputSchema.properties!));
    const wrong: Record<string, () => unknown> = {
      integer: () => rnd.pick<unknown>(['twelve', true, [2], { id: 2 }, rnd.int(1, 99) + 0.5, '']),
      number: () => rnd.pick<unknown>(['many', false, [1], {}]),
      string: () => rnd.pick<unknown>([42, true, ['x'], { q: 1 }]),
      array: () => rnd.pick<unknown>(['2,3', 2, { 0: 2 }, true]),
    };
    const value = (wrong[schema.type ?? 'string'] ?? wrong.string!)();
    const bytes = line(rnd, request(id, 'tools/call', { name: tool.name, arguments: { [field]: value } }));
    return { category: 'invalid_tool_arguments', bytes, expect: [toolError(id, `Invalid arguments for ${tool.name}`, field)] };
  },

  huge_ids: (ctx) => {
    const { rnd } = ctx;
    const safe = () => rnd.pick([0, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, rnd.int(1, 2 ** 31) * rnd.int(1, 2 ** 21)]);
    const long = () => randomText(rnd, logUniform(rnd, 1_000, Math.min(300_000, ctx.maxLineBytes / 4)));
    const cases: (() => [string, Expectation[]])[] = [
      () => {
        const id = long();
        return [request(id, 'ping'), [result(id)]];
      },
      () => {
        const id = safe();
        return [request(id, 'ping'), [result(id)]];
      },
      () => {
        const id = long();
        return [request(id, 'x/' + randomText(rnd, 8)), [error(id, METHOD_NOT_FOUND)]];
      },
      () => {
        // Integers a double cannot hold exactly, and numbers no double can hold: not a usable id.
        const literal = rnd.pick(['9007199254740993', '1e308', '-1e300', '123456789012345678901234567890', '1'.repeat(rnd.int(400, 5000))]);
        return [`{"jsonrpc":"2.0","id":${literal},"method":"ping"}`, [error(null, INVALID_REQUEST)]];
      },
    ];
    const [text, expect] = rnd.pick(cases)();
    return { category: 'huge_ids', bytes: line(rnd, text), expect };
  },

  deep_nesting: (ctx) => {
    const { rnd } = ctx;
    const id = ctx.id();
    // Each level is `[`…`]` (2 bytes) or `{"k":`…`}` (6 bytes); the whole line stays under the limit.
    // A random run of up to 32 levels, repeated to the depth.
    const levels = Array.from({ length: rnd.int(1, 32) }, () => rnd.next() < 0.5);
    const times = Math.ceil(logUniform(rnd, 100, Math.floor(ctx.maxLineBytes / 8)) / levels.length);
    const open = levels.map((arr) => (arr ? '[' : '{"k":')).join('').repeat(times);
    const close = levels.map((arr) => (arr ? ']' : '}')).reverse().join('').repeat(times);
    const nest = (inner: string) => open + inner + close;
    const cases: [string, Expectation[]][] = [
      [`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"ping","params":{"x":${nest('1')}}}`, [result(id)]],
      [nest('0'), [error(null, INVALID_REQUEST)]],
      [`{"jsonrpc":"2.0","id":${nest('1')},"method":"ping"}`, [error(null, INVALID_REQUEST)]],
      [`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":${nest('"ping"')}}`, [error(id, INVALID_REQUEST, '"method"')]],
      [`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":{"name":"get_courses","arguments":{"perPage":${nest('2')}}}}`, [toolError(id, 'perPage')]],
    ];
    const [text, expect] = rnd.pick(cases);
    return { category: 'deep_nesting', bytes: line(rnd, text), expect };
  },

  invalid_utf8: (ctx) =>
    unparsable('invalid_utf8', () => {
      const { rnd } = ctx;
      const bad = Buffer.from(
        rnd.pick([[0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe2, 0x82], [0xc3], [0xf8, 0x88, 0x80, 0x80, 0x80]]),
      );
      const text = Buffer.from(validRequest(ctx));
      const at = rnd.next() < 0.7 ? text.indexOf('"', text.indexOf('"method":"') + 9) + 1 : rnd.int(0, text.length);
      return line(rnd, Buffer.concat([text.subarray(0, at), bad, text.subarray(at)]));
    }),

  binary_noise: (ctx) =>
    unparsable('binary_noise', () => {
      const { rnd } = ctx;
      const lines = Array.from({ length: rnd.int(1, 4) }, () => {
        return line(rnd, withoutNewlines(randomBytes(rnd, rnd.int(1, 4096)), 0x00));
      });
      return Buffer.concat(lines);
    }),

  tls_client_hello: (ctx) => unparsable('tls_client_hello', () => Buffer.concat([tlsClientHello(ctx.rnd), Buffer.from('\n')])),

  unknown_method: (ctx) => {
    const { rnd } = ctx;
    const id = ctx.id();
    const method = rnd.pick([
      () => rnd.pick(['resources/list', 'resources/read', 'prompts/list', 'prompts/get', 'completion/complete', 'sampling/createMessage', 'roots/list', 'tasks/list', 'tools/delete', 'admin/shutdown']),
      () => 'x/' + randomText(rnd, rnd.int(1, 64)),
      () => randomText(rnd, rnd.int(1, 5_000)),
      () => '',
    ])();
    return { category: 'unknown_method', bytes: line(rnd, request(id, method)), expect: [error(id, METHOD_NOT_FOUND)] };
  },

  unknown_tool: (ctx) => {
    const { rnd } = ctx;
    const id = ctx.id();
    const name = rnd.pick(['delete_course', 'get_courses ', 'GET_COURSES', '../get_courses', '', randomText(rnd, rnd.int(1, 200))]);
    const mentions = name.length > 0 && name.length <= 80 ? ['Unknown tool', name] : ['Unknown tool'];
    return { category: 'unknown_tool', bytes: line(rnd, request(id, 'tools/call', { name, arguments: {} })), expect: [error(id, INVALID_PARAMS, ...mentions)] };
  },

  /** Notifications and responses nobody asked for: JSON-RPC answers none of them. */
  stray_messages: (ctx) => {
    const { rnd } = ctx;
    const id = ctx.id();
    const message = rnd.pick<object>([
      { jsonrpc: '2.0', method: 'x/' + randomText(rnd, 12) },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'fuzz' } },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: id, progress: 1 } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id, result: {} },
      { jsonrpc: '2.0', id, error: { code: -1, message: 'stray' } },
    ]);
    return { category: 'stray_messages', bytes: line(rnd, JSON.stringify(message)), expect: [] };
  },

  /** On a session that has not sent initialize: only ping (and notifications) pass. */
  before_initialize: (ctx) => {
    const { rnd } = ctx;
    const id = ctx.id();
    const method = rnd.pick(['tools/list', 'tools/call', 'resources/list', 'logging/setLevel', 'x/' + randomText(rnd, 6)]);
    const cases: [string, Expectation[]][] = [
      [request(id, method, method === 'tools/call' ? { name: 'get_courses', arguments: {} } : undefined), [error(id, INVALID_REQUEST, 'not initialized')]],
      [request(id, 'ping'), [result(id)]],
      [JSON.stringify({ jsonrpc: '2.0', method: 'notifications/' + randomText(rnd, 6) }), []],
    ];
    const [text, expect] = rnd.pick(cases);
    return { category: 'before_initialize', bytes: line(rnd, text), expect };
  },

  /**
   * The first bytes of a connection: a forged PROXY header (HAProxy sent the
   * real one before it), then a handshake and a tool call that the worker
   * logs with the client's address, which must be the real one.
   */
  forged_proxy_header: (ctx) => {
    const { rnd } = ctx;
    const [init, call] = [ctx.id(), ctx.id()];
    // Ended by a newline of its own: a binary header's tail would otherwise run into the next line.
    const header = Buffer.concat([forgedProxyHeader(rnd.pick([1, 2] as const), FORGED_ADDRESS, FORGED_CN), Buffer.from('\n')]);
    const session = [
      request(init, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'forger', version: '1' } }),
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      request(call, 'tools/call', { name: 'get_site_info', arguments: {} }),
    ];
    return {
      category: 'forged_proxy_header',
      bytes: Buffer.concat([header, ...session.map((l) => line(rnd, l))]),
      expect: [...parseErrors(header)!, result(init), result(call)],
    };
  },

  /** Alone on its connection: a few good requests, then a line over the limit; the connection is closed after the answer. */
  oversize_line: (ctx) => {
    const { rnd } = ctx;
    const before = Array.from({ length: rnd.int(0, 3) }, () => ctx.id());
    // Two bytes over at least: a line of exactly limit + 1 bytes may still end in `\r\n`.
    const over = ctx.maxLineBytes + rnd.int(2, 64 * 1024);
    const huge = rnd.pick([
      () => line(rnd, `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${'x'.repeat(over)}"}}`),
      // No newline at all: refused once the limit is passed, without waiting for the end of the line.
      () => withoutNewlines(randomBytes(rnd, over)),
      () => line(rnd, Buffer.alloc(over, 0x20).fill(0x41, over - 10)),
    ])();
    const bytes = Buffer.concat([...before.map((id) => line(rnd, request(id, 'ping'))), huge]);
    return {
      category: 'oversize_line',
      bytes,
      expect: [...before.map(result), error(null, INVALID_REQUEST, 'Line too long', `${ctx.maxLineBytes} bytes`)],
      closes: true,
    };
  },

  /** Good requests, many at once without waiting: each answered, or refused by the rate limit. */
  pipelined_requests: (ctx) => {
    const { rnd } = ctx;
    const id = ctx.id();
    const cases: [string, Expectation][] = [
      [request(id, 'ping'), result(id)],
      [request(id, 'tools/list'), result(id)],
      [request(id, 'tools/call', { name: 'get_site_info', arguments: {} }), result(id)],
      [request(id, 'tools/call', { name: 'get_courses', arguments: { perPage: rnd.int(1, 5) } }), result(id)],
      [request(id, 'no/such/method'), error(id, METHOD_NOT_FOUND)],
    ];
    const [text, expect] = rnd.pick(cases);
    return { category: 'pipelined_requests', bytes: line(rnd, text), expect: [expect] };
  },
};

/** One bad input of `category`. */
export function generate(category: Category, ctx: GeneratorContext): BadInput {
  return GENERATORS[category](ctx);
}

/** A line that makes a connection well-formed again: the sentinel after a batch. */
export function sentinel(id: string, initialized: boolean): Buffer {
  return Buffer.from(
    (initialized
      ? request(id, 'ping')
      : request(id, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } })) + '\n',
  );
}
