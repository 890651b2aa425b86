import { encodeMoodleParams } from './encode.js';

describe('encodeMoodleParams', () => {
  it("encodes arrays, nested structures and booleans the way Moodle's REST server reads them", () => {
    const body = encodeMoodleParams({
      courseids: [2, 3],
      options: [{ name: 'onlyactive', value: true }],
      grades: [{ userid: 5, grade: 7.5 }],
      plugindata: { assignfeedbackcomments_editor: { text: 'Well done & <b>more</b>', format: 1 } },
      skipped: undefined,
    });
    expect([...body.entries()]).toEqual([
      ['courseids[0]', '2'],
      ['courseids[1]', '3'],
      ['options[0][name]', 'onlyactive'],
      ['options[0][value]', '1'],
      ['grades[0][userid]', '5'],
      ['grades[0][grade]', '7.5'],
      ['plugindata[assignfeedbackcomments_editor][text]', 'Well done & <b>more</b>'],
      ['plugindata[assignfeedbackcomments_editor][format]', '1'],
    ]);
    expect(body.toString()).toContain('plugindata%5Bassignfeedbackcomments_editor%5D%5Btext%5D=Well+done+%26+%3Cb%3Emore%3C%2Fb%3E');
  });

  it('refuses a number that is not finite', () => {
    expect(() => encodeMoodleParams({ grade: Number.NaN })).toThrow('parameter grade is not a finite number');
  });
});
