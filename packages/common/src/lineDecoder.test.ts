import { LineDecoder, type LineEvent } from './lineDecoder.js';

const lines = (events: LineEvent[]) => events.map((e) => (e.type === 'line' ? e.text : `<${e.type}>`));

describe('LineDecoder', () => {
  it('splits merged chunks into lines', () => {
    const d = new LineDecoder(1024);
    expect(lines(d.push(Buffer.from('{"a":1}\n{"b":2}\n{"c"')))).toEqual(['{"a":1}', '{"b":2}']);
    expect(lines(d.push(Buffer.from(':3}\n')))).toEqual(['{"c":3}']);
  });

  it('joins a line split over many chunks, byte by byte', () => {
    const d = new LineDecoder(1024);
    const out: LineEvent[] = [];
    for (const b of Buffer.from('{"method":"ping"}\n')) out.push(...d.push(Buffer.from([b])));
    expect(lines(out)).toEqual(['{"method":"ping"}']);
    expect(d.bufferedBytes).toBe(0);
  });

  it('accepts \\r\\n, even when the \\r and \\n arrive in different chunks', () => {
    const d = new LineDecoder(1024);
    expect(lines(d.push(Buffer.from('one\r\ntwo\r')))).toEqual(['one']);
    expect(lines(d.push(Buffer.from('\n')))).toEqual(['two']);
  });

  it('skips blank lines', () => {
    const d = new LineDecoder(1024);
    expect(lines(d.push(Buffer.from('\n\r\n  \nx\n')))).toEqual(['x']);
  });

  it('decodes a multi-byte character split across chunks', () => {
    const d = new LineDecoder(1024);
    const bytes = Buffer.from('"é€😀"\n');
    expect(lines([...d.push(bytes.subarray(0, 2)), ...d.push(bytes.subarray(2, 5)), ...d.push(bytes.subarray(5))])).toEqual(['"é€😀"']);
  });

  it('reports invalid UTF-8 per line and goes on with the next line', () => {
    const d = new LineDecoder(1024);
    const events = d.push(Buffer.concat([Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from('ok\n')]));
    expect(events).toEqual([
      { type: 'invalid_utf8', bytes: 2 },
      { type: 'line', text: 'ok' },
    ]);
  });

  it('accepts a line of exactly the limit, with or without \\r', () => {
    const d = new LineDecoder(8);
    expect(lines(d.push(Buffer.from('12345678\n12345678\r\n')))).toEqual(['12345678', '12345678']);
  });

  it('reports a line over the limit once, then refuses all further input', () => {
    const d = new LineDecoder(8);
    expect(lines(d.push(Buffer.from('ok\n123456789\nnext\n')))).toEqual(['ok', '<overflow>']);
    expect(d.push(Buffer.from('more\n'))).toEqual([]);
  });

  it('detects an over-long line before its newline arrives, without buffering it all', () => {
    const d = new LineDecoder(16);
    expect(d.push(Buffer.alloc(10, 0x61))).toEqual([]);
    expect(d.push(Buffer.alloc(10, 0x61))).toEqual([{ type: 'overflow', limit: 16 }]);
    expect(d.bufferedBytes).toBe(0);
  });
});
