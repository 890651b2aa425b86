import { MoodleException } from '../errors';
import { decodeForm } from '../http/decode';
import { defaultValue, multiple, optionalValue, params, single, value } from './schema';
import { validateParameters } from './validate';

/** The debuginfo of the invalid_parameter_exception a call raises. */
function debuginfoOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MoodleException);
    const ex = err as MoodleException;
    expect([ex.exception, ex.errorcode, ex.message]).toEqual(['invalid_parameter_exception', 'invalidparameter', 'Invalid parameter value detected']);
    return ex.debuginfo ?? '';
  }
  throw new Error('expected an exception');
}

const saveGrade = params({
  assignmentid: value('int'),
  grade: value('float'),
  addattempt: value('bool'),
  workflowstate: value('alpha'),
  plugindata: single({ editor: single({ text: value('raw'), format: value('int') }, 'optional') }, 'default'),
});

describe('validateParameters (external_api::validate_parameters)', () => {
  it('returns typed values and fills VALUE_DEFAULT keys, leaving VALUE_OPTIONAL ones out', () => {
    const desc = params({ id: value('int'), since: defaultValue('int', 0), status: defaultValue('alpha', ''), to: defaultValue('int', null), opt: optionalValue('int'), list: multiple(value('int'), 'default') });
    expect(validateParameters(desc, decodeForm('id=7'))).toEqual({ id: 7, since: 0, status: '', to: null, list: [] });
  });

  it('validates nested structures and keeps list order', () => {
    const out = validateParameters(saveGrade, decodeForm('assignmentid=1&grade=85.5&addattempt=0&workflowstate=&plugindata[editor][text]=<p>ok</p>&plugindata[editor][format]=1'));
    expect(out).toEqual({ assignmentid: 1, grade: 85.5, addattempt: false, workflowstate: '', plugindata: { editor: { text: '<p>ok</p>', format: 1 } } });
    expect(validateParameters(params({ ids: multiple(value('int')) }), decodeForm('ids[1]=5&ids[0]=3'))).toEqual({ ids: [5, 3] });
  });

  it('reports a missing required key', () => {
    expect(debuginfoOf(() => validateParameters(saveGrade, decodeForm('grade=1&addattempt=0&workflowstate=')))).toBe('Missing required key in single structure: assignmentid');
  });

  it('reports unexpected keys after the described ones', () => {
    expect(debuginfoOf(() => validateParameters(saveGrade, decodeForm('assignmentid=1&grade=1&addattempt=0&workflowstate=&foo=1&bar[0]=2')))).toBe('Unexpected keys (foo, bar) detected in parameter array.');
  });

  it('reports a wrong scalar type with the PARAM_* name Moodle uses', () => {
    expect(debuginfoOf(() => validateParameters(saveGrade, decodeForm('assignmentid=abc')))).toBe('assignmentid => Invalid parameter value detected: Invalid external api parameter: the value is "abc", the server was expecting "int" type');
  });

  it('prefixes nested problems with the key path, without list indexes', () => {
    const desc = params({ options: multiple(single({ name: value('alphanum'), value: value('raw') }), 'default') });
    expect(debuginfoOf(() => validateParameters(desc, decodeForm('options[0][value]=1')))).toBe('options => Invalid parameter value detected: Missing required key in single structure: name');
    expect(debuginfoOf(() => validateParameters(saveGrade, decodeForm('assignmentid=1&grade=1&addattempt=0&workflowstate=&plugindata[editor][text]=x&plugindata[editor][format]=html')))).toBe(
      'plugindata => Invalid parameter value detected: editor => Invalid parameter value detected: format => Invalid parameter value detected: Invalid external api parameter: the value is "html", the server was expecting "int" type',
    );
  });

  it('rejects a scalar where a list is expected and a list where a scalar is expected', () => {
    const desc = params({ courseids: multiple(value('int')), id: defaultValue('int', 0) });
    expect(debuginfoOf(() => validateParameters(desc, decodeForm('courseids=2')))).toBe("courseids => Invalid parameter value detected: Only arrays accepted. The bad value is: '2'");
    expect(debuginfoOf(() => validateParameters(desc, decodeForm('courseids[0]=2&id[0]=1')))).toBe('id => Invalid parameter value detected: Scalar type expected, array or object received.');
  });

  it.each([
    ['int', '05', false],
    ['int', '-3', true],
    ['int', '1e3', false],
    ['int', ' 4', false],
    ['float', '85', true],
    ['float', '-.5', true],
    ['float', '8,5', false],
    ['float', '', false],
    ['bool', '1', true],
    ['bool', 'true', false],
    ['alpha', 'released', true],
    ['alpha', 'in_review', false],
    ['alphanumext', 'in_review-2', true],
    ['text', 'Plain text & more', true],
    ['text', '<b>bold</b>', false],
    ['raw', '<b>bold</b>', true],
    ['capability', 'mod/assign:grade', true],
    ['capability', 'mod/assign:nonsense', false],
  ] as const)('PARAM %s accepts %j: %s', (type, input, ok) => {
    const desc = params({ v: value(type) });
    if (ok) expect(() => validateParameters(desc, decodeForm(`v=${encodeURIComponent(input)}`))).not.toThrow();
    else expect(() => validateParameters(desc, decodeForm(`v=${encodeURIComponent(input)}`))).toThrow(MoodleException);
  });
});
