/**
 * A small data model of Moodle's external API descriptions
 * (core_external\external_value / external_single_structure /
 * external_multiple_structure / external_function_parameters), so every
 * function's parameters are written down as data and checked by one validator
 * that behaves like external_api::validate_parameters.
 */

/** The PARAM_* types the simulated functions use; the string is PHP's constant value (it appears in error texts). */
export type ParamType =
  | 'int'
  | 'float'
  | 'bool'
  | 'alpha'
  | 'alphaext'
  | 'alphanum'
  | 'alphanumext'
  | 'text'
  | 'notags'
  | 'raw'
  | 'plugin'
  | 'component'
  | 'area'
  | 'safedir'
  | 'capability'
  | 'lang';

/** VALUE_REQUIRED / VALUE_OPTIONAL / VALUE_DEFAULT. */
export type Required = 'required' | 'optional' | 'default';

/** A scalar default as Moodle declares it (already clean; null only where NULL_ALLOWED). */
export type ScalarDefault = string | number | boolean | null;

export interface ValueDesc {
  kind: 'value';
  type: ParamType;
  required: Required;
  default?: ScalarDefault;
  /** NULL_ALLOWED: a null default passes validation. */
  allowNull?: boolean;
}

export interface SingleDesc {
  kind: 'single';
  keys: Record<string, Desc>;
  /** A structure's VALUE_DEFAULT is always `array()` in the simulated functions: the empty array, validated. */
  required: Required;
}

export interface MultipleDesc {
  kind: 'multiple';
  content: Desc;
  required: Required;
}

export type Desc = ValueDesc | SingleDesc | MultipleDesc;

/** new external_value(type, '', VALUE_REQUIRED). */
export function value(type: ParamType): ValueDesc {
  return { kind: 'value', type, required: 'required' };
}

/** new external_value(type, '', VALUE_OPTIONAL). */
export function optionalValue(type: ParamType): ValueDesc {
  return { kind: 'value', type, required: 'optional' };
}

/** new external_value(type, '', VALUE_DEFAULT, def [, NULL_ALLOWED when def is null]). */
export function defaultValue(type: ParamType, def: ScalarDefault): ValueDesc {
  return { kind: 'value', type, required: 'default', default: def, allowNull: def === null };
}

/** new external_single_structure(keys, '', required); 'default' means VALUE_DEFAULT, array(). */
export function single(keys: Record<string, Desc>, required: Required = 'required'): SingleDesc {
  return { kind: 'single', keys, required };
}

/** new external_multiple_structure(content, '', required); 'default' means VALUE_DEFAULT, array(). */
export function multiple(content: Desc, required: Required = 'required'): MultipleDesc {
  return { kind: 'multiple', content, required };
}

/** new external_function_parameters(keys): a single structure at the top. */
export function params(keys: Record<string, Desc>): SingleDesc {
  return single(keys);
}
