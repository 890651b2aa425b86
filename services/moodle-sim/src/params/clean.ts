/**
 * clean_param() for the PARAM_* types the simulated functions use, as far as
 * validate_param() needs it: validate_param accepts a value only when the
 * cleaned value, as a string, equals the input (floats have their own rule).
 * REST parameters always arrive as strings, so the inputs here are strings.
 */
import type { ParamType } from './schema.js';
import { KNOWN_CAPABILITIES } from '../auth/capabilities.js';

/** PHP's strip_tags, close enough: removes `<tag ...>` runs and comments; a `<` followed by whitespace is kept. */
export function stripTags(s: string): string {
  return s.replace(/<!--[\s\S]*?(-->|$)/g, '').replace(/<(?=[^\s<])[^>]*(>|$)/g, '');
}

/** The accepted JS value, or undefined when validate_param would throw. */
export function cleanScalar(input: string, type: ParamType): string | number | boolean | undefined {
  switch (type) {
    case 'int': {
      // PHP casts with (int) and compares the string forms: only canonical integers survive.
      if (!/^(0|-?[1-9][0-9]*)$/.test(input)) return undefined;
      const n = Number(input);
      return Number.isSafeInteger(n) ? n : undefined;
    }
    case 'float': {
      // validate_param: is_numeric() and /^[\+-]?[0-9]*\.?[0-9]*(e[-+]?[0-9]+)?$/i.
      if (!/^[+-]?[0-9]*\.?[0-9]*(e[-+]?[0-9]+)?$/i.test(input)) return undefined;
      if (!/[0-9]/.test(input.replace(/e.*$/i, ''))) return undefined;
      const n = Number(input);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'bool':
      // external_api accepts exactly '0' and '1'; 'true'/'false' clean to 1/0 and then differ from the input.
      if (input === '1') return true;
      if (input === '0') return false;
      return undefined;
    case 'alpha':
      return same(input, input.replace(/[^a-zA-Z]/g, ''));
    case 'alphaext':
      return same(input, input.replace(/[^a-zA-Z/_-]/g, ''));
    case 'alphanum':
      return same(input, input.replace(/[^A-Za-z0-9]/g, ''));
    case 'alphanumext':
      return same(input, input.replace(/[^a-zA-Z0-9_-]/g, ''));
    case 'safedir':
      return same(input, input.replace(/[^a-zA-Z0-9_-]/g, ''));
    case 'text':
    case 'notags':
      return same(input, stripTags(input));
    case 'raw':
      return input;
    case 'plugin':
    case 'area':
      return /^[a-z](?:[a-z0-9_](?!__))*[a-z0-9]+$/.test(input) || input === '' ? input : undefined;
    case 'component':
      return /^[a-z][a-z0-9]*(_[a-z][a-z0-9_]*)?[a-z0-9]+$/.test(input) || input === '' ? input : undefined;
    case 'capability':
      // clean_param(PARAM_CAPABILITY) keeps only capabilities that exist on the site.
      return KNOWN_CAPABILITIES.has(input) ? input : undefined;
    case 'lang':
      // Only the installed language packs survive; the sim has English.
      return input === 'en' || input === '' ? input : undefined;
  }
}

function same(input: string, cleaned: string): string | undefined {
  return cleaned === input ? input : undefined;
}
