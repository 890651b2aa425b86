import { parseLine } from './jsonrpc.js';

describe('parseLine', () => {
  it('accepts requests, notifications and responses', () => {
    for (const text of [
      '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      '{"jsonrpc":"2.0","method":"notifications/initialized"}',
      '{"jsonrpc":"2.0","id":"a","result":{}}',
    ]) {
      expect(parseLine(text).ok).toBe(true);
    }
  });

  it('answers malformed JSON with -32700 and id null', () => {
    const r = parseLine('{"jsonrpc":"2.0", "id": 1, "method": ');
    expect(r).toEqual({ ok: false, response: { jsonrpc: '2.0', id: null, error: { code: -32700, message: expect.stringMatching(/^Parse error/) } } });
  });

  it.each([
    ['a number', '42', null, /expected a JSON-RPC 2.0 object, got number/],
    ['a string', '"hello"', null, /got string/],
    ['wrong version', '{"jsonrpc":"1.0","id":3,"method":"ping"}', 3, /"jsonrpc" member must be exactly "2.0"/],
    ['a non-string method', '{"jsonrpc":"2.0","id":"x","method":5}', 'x', /"method" member must be a string/],
    ['an object id', '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', null, /"id" member must be a string or a number/],
    ['no method nor result', '{"jsonrpc":"2.0","id":9}', 9, /needs "method"/],
    ['a batch', '[{"jsonrpc":"2.0","id":1,"method":"ping"}]', null, /batches are not supported/],
  ])('answers %s with -32600 Invalid Request naming the problem', (_name, text, id, message) => {
    const r = parseLine(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.response.id).toBe(id);
    expect(r.response.error.code).toBe(-32600);
    expect(r.response.error.message).toMatch(message);
  });
});
