/**
 * external_api::validate_parameters over decoded REST input.
 *
 * Behaviour mirrored from Moodle (lib/external/classes/external_api.php):
 * - keys are checked in description order; the first problem wins;
 * - a missing VALUE_REQUIRED key → "Missing required key in single structure: <key>";
 * - a missing VALUE_DEFAULT key takes its default (structures: the empty array, validated);
 * - a missing VALUE_OPTIONAL key stays absent;
 * - a nested problem is re-thrown as "<key> => Invalid parameter value detected: <inner debuginfo>";
 *   a multiple structure adds no index to that path;
 * - keys left over → "Unexpected keys (<a, b>) detected in parameter array.";
 * - a scalar where a structure is expected → "Only arrays accepted. The bad value is: '<v>'";
 * - a structure where a scalar is expected → "Scalar type expected, array or object received.";
 * - a bad scalar → 'Invalid external api parameter: the value is "<v>", the server was expecting "<type>" type'.
 * All of them are invalid_parameter_exception (errorcode invalidparameter); the text above is the debuginfo.
 */
import type { PhpValue } from '../http/decode.js';
import { MoodleException, invalidParameter } from '../errors.js';
import type { Desc, SingleDesc } from './schema.js';
import { cleanScalar } from './clean.js';

/** Validated data: what the PHP function receives. */
export type Clean = string | number | boolean | null | Clean[] | { [key: string]: Clean };

const EMPTY: Map<string, PhpValue> = new Map();

function wrap(key: string, err: unknown): never {
  if (err instanceof MoodleException && err.errorcode === 'invalidparameter') {
    throw invalidParameter(`${key} => ${err.message}: ${err.debuginfo ?? ''}`);
  }
  throw err;
}

export function validate(desc: Desc, input: PhpValue): Clean {
  switch (desc.kind) {
    case 'value': {
      if (input instanceof Map) throw invalidParameter('Scalar type expected, array or object received.');
      const cleaned = cleanScalar(input, desc.type);
      if (cleaned === undefined) {
        throw invalidParameter(`Invalid external api parameter: the value is "${input}", the server was expecting "${desc.type}" type`);
      }
      return cleaned;
    }
    case 'single': {
      if (!(input instanceof Map)) throw invalidParameter(`Only arrays accepted. The bad value is: '${input}'`);
      const result: { [key: string]: Clean } = {};
      const left = new Map(input);
      for (const [key, sub] of Object.entries(desc.keys)) {
        const given = input.get(key);
        if (given === undefined) {
          if (sub.required === 'required') throw invalidParameter(`Missing required key in single structure: ${key}`);
          if (sub.required === 'default') {
            try {
              result[key] = defaultOf(sub);
            } catch (err) {
              wrap(key, err);
            }
          }
        } else {
          try {
            result[key] = validate(sub, given);
          } catch (err) {
            wrap(key, err);
          }
        }
        left.delete(key);
      }
      if (left.size > 0) throw invalidParameter(`Unexpected keys (${[...left.keys()].join(', ')}) detected in parameter array.`);
      return result;
    }
    case 'multiple': {
      if (!(input instanceof Map)) throw invalidParameter(`Only arrays accepted. The bad value is: '${input}'`);
      return [...input.values()].map((v) => validate(desc.content, v));
    }
  }
}

/** The value a missing VALUE_DEFAULT key takes (Moodle validates the default too). */
function defaultOf(desc: Desc): Clean {
  if (desc.kind === 'value') {
    const d = desc.default ?? null;
    if (d === null && !desc.allowNull) throw invalidParameter('Invalid external api parameter: the value is "", the server was expecting "' + desc.type + '" type');
    return d;
  }
  return validate(desc, EMPTY);
}

/** Validates a whole function call's parameters (the top level is external_function_parameters). */
export function validateParameters(desc: SingleDesc, input: Map<string, PhpValue>): { [key: string]: Clean } {
  return validate(desc, input) as { [key: string]: Clean };
}
