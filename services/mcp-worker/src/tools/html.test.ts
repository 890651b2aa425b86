import { decodeEntities, htmlToText, textToHtml, truncate } from './html.js';

describe('htmlToText', () => {
  it('drops tags and keeps the words', () => {
    expect(htmlToText('<p>Welcome to <strong>Biology</strong> 101</p>')).toBe('Welcome to Biology 101');
  });

  it('turns paragraphs, <br> and list items into lines', () => {
    expect(htmlToText('<p>One</p><p>Two<br/>Three</p><ul><li>a</li><li>b</li></ul>')).toBe('One\nTwo\nThree\n- a\n- b');
  });

  it('decodes named and numeric entities after removing tags, so escaped markup stays text', () => {
    expect(htmlToText('<p>Tom &amp; Jerry &lt;b&gt; &#8364;5 &#x263A; caf&eacute;</p>')).toBe('Tom & Jerry <b> €5 ☺ caf&eacute;');
  });

  it('leaves a bare "<" that starts no tag alone', () => {
    expect(htmlToText('<p>if a < b and c > d</p>')).toBe('if a < b and c > d');
  });

  it('removes scripts, styles and comments with their content', () => {
    expect(htmlToText('<style>p{color:red}</style><p>Hi<!-- note --></p><script>alert(1)</script>')).toBe('Hi');
  });

  it('collapses whitespace, non-breaking spaces and blank lines', () => {
    expect(htmlToText('  <div>  a \n\n\t b&nbsp;&nbsp;c </div>\n\n<div></div><p> d </p>')).toBe('a\nb c\nd');
  });

  it('gives "" for null, undefined and empty input', () => {
    expect(htmlToText(null)).toBe('');
    expect(htmlToText(undefined)).toBe('');
    expect(htmlToText('')).toBe('');
  });

  it('cuts to maxChars at a word boundary and marks the cut', () => {
    const text = htmlToText('<p>The quick brown fox jumps over the lazy dog</p>', 20);
    expect(text).toBe('The quick brown fox…');
    expect(text.length).toBeLessThanOrEqual(20);
  });
});

describe('truncate', () => {
  it('returns short text unchanged', () => {
    expect(truncate('short', 10)).toBe('short');
  });

  it('cuts inside a word when the last boundary is too early', () => {
    expect(truncate('a supercalifragilistic', 10)).toBe('a superca…');
  });
});

describe('decodeEntities', () => {
  it('keeps unknown and invalid references as written', () => {
    expect(decodeEntities('&bogus; &#0; &#xZZ;')).toBe('&bogus; &#0; &#xZZ;');
  });
});

describe('textToHtml', () => {
  it('escapes markup characters so they reach Moodle as text', () => {
    expect(textToHtml('a < b & "c"')).toBe('<p>a &lt; b &amp; &quot;c&quot;</p>');
  });

  it('makes paragraphs from blank lines and <br> from single line breaks', () => {
    expect(textToHtml('Well done.\nGood structure.\n\nNext time: cite sources.')).toBe('<p>Well done.<br>Good structure.</p><p>Next time: cite sources.</p>');
  });

  it('round-trips through htmlToText', () => {
    const text = 'Great work, Ana!\nSee page 3 & 4.\n\n<3';
    expect(htmlToText(textToHtml(text))).toBe('Great work, Ana!\nSee page 3 & 4.\n<3');
  });

  it('gives "" for empty text', () => {
    expect(textToHtml('  \n ')).toBe('');
  });
});
