import { decodeForm, parseName, phpUrlDecode, toPlain } from './decode';

const plain = (s: string) => toPlain(decodeForm(s));

describe('decodeForm (PHP $_POST semantics)', () => {
  it('reads flat fields, with + as space and percent escapes as UTF-8 bytes', () => {
    expect(plain('wstoken=abc&wsfunction=core_course_get_courses&q=caf%C3%A9+au+lait')).toEqual({ wstoken: 'abc', wsfunction: 'core_course_get_courses', q: 'café au lait' });
  });

  it('nests bracketed names: courseids[0]=2, options[0][name]=ids, plugindata[assignfeedbackcomments_editor][text]=...', () => {
    const d = decodeForm('courseids[0]=2&courseids[1]=3&options[0][name]=ids&options[0][value]=4&plugindata[assignfeedbackcomments_editor][text]=Well+done&plugindata[assignfeedbackcomments_editor][format]=1');
    expect(toPlain(d)).toEqual({
      courseids: { 0: '2', 1: '3' },
      options: { 0: { name: 'ids', value: '4' } },
      plugindata: { assignfeedbackcomments_editor: { text: 'Well done', format: '1' } },
    });
  });

  it('accepts percent-encoded brackets (what URLSearchParams sends)', () => {
    expect(plain('grades%5B0%5D%5Buserid%5D=5')).toEqual({ grades: { 0: { userid: '5' } } });
  });

  it('keeps insertion order of array keys, even when integer keys come out of order', () => {
    const d = decodeForm('ids[1]=b&ids[0]=a&ids[10]=c');
    expect([...(d.get('ids') as Map<string, unknown>).keys()]).toEqual(['1', '0', '10']);
  });

  it('appends [] after the highest integer key', () => {
    expect(plain('a[]=x&a[]=y&a[5]=z&a[]=w&a[k]=v&a[]=u')).toEqual({ a: { 0: 'x', 1: 'y', 5: 'z', 6: 'w', k: 'v', 7: 'u' } });
  });

  it('lets the last of repeated names win, scalar or array', () => {
    expect(plain('a=1&a=2')).toEqual({ a: '2' });
    expect(plain('a=1&a[x]=2')).toEqual({ a: { x: '2' } });
    expect(plain('a[x]=1&a=2')).toEqual({ a: '2' });
  });

  it('turns . and space in the base name into _, like PHP', () => {
    expect(plain('a.b=1&c+d=2&e[f.g]=3')).toEqual({ a_b: '1', c_d: '2', e: { 'f.g': '3' } });
  });

  it('treats an unclosed first bracket as a literal underscore and ignores text after ]', () => {
    expect(parseName('a[b')).toEqual({ base: 'a_b', keys: [] });
    expect(plain('a[b]junk[c]=1')).toEqual({ a: { b: '1' } });
    expect(plain('a[b][c=1')).toEqual({ a: { b: '1' } });
  });

  it('ignores empty pairs and names, and gives a bare name the empty string', () => {
    expect(plain('&&=x&[a]=1&flag&b=')).toEqual({ flag: '', b: '' });
  });

  it('keeps malformed percent escapes literally', () => {
    expect(phpUrlDecode('100%+sure%zz%4')).toBe('100% sure%zz%4');
  });

  it('drops pairs nested deeper than max_input_nesting_level', () => {
    const deep = 'a' + '[x]'.repeat(65) + '=1';
    expect(plain(`${deep}&b=2`)).toEqual({ b: '2' });
    expect(toPlain(decodeForm('a[x][y]=1', { maxDepth: 1 }))).toEqual({});
  });

  it('decodes an empty input to an empty map', () => {
    expect(decodeForm('').size).toBe(0);
  });
});
