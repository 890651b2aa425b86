/**
 * Moodle's REST XML format (webservice/rest/locallib.php), answered when the
 * request has no `moodlewsrestformat=json`: RESPONSE with SINGLE / MULTIPLE /
 * KEY / VALUE, or EXCEPTION with ERRORCODE and MESSAGE. Structure comes from
 * the value itself (the sim keeps no return descriptions), booleans are 1/0.
 */
import type { MoodleException } from '../errors.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function xmlize(v: unknown): string {
  if (v === null || v === undefined) return '<VALUE null="null"/>\n';
  if (Array.isArray(v)) return `<MULTIPLE>\n${v.map(xmlize).join('')}</MULTIPLE>\n`;
  if (typeof v === 'object') {
    const keys = Object.entries(v as Record<string, unknown>).map(([k, val]) => `<KEY name="${esc(k)}">${xmlize(val)}</KEY>\n`);
    return `<SINGLE>\n${keys.join('')}</SINGLE>\n`;
  }
  if (typeof v === 'boolean') return `<VALUE>${v ? 1 : 0}</VALUE>\n`;
  return `<VALUE>${esc(String(v))}</VALUE>\n`;
}

const HEAD = '<?xml version="1.0" encoding="UTF-8" ?>\n';

/** A function without return description (save_grade) answers an empty RESPONSE. */
export function xmlResponse(result: unknown): string {
  return `${HEAD}<RESPONSE>\n${result === null ? '' : xmlize(result)}</RESPONSE>\n`;
}

export function xmlException(ex: MoodleException, debug: boolean): string {
  let out = `${HEAD}<EXCEPTION class="${esc(ex.exception)}">\n<ERRORCODE>${esc(ex.errorcode)}</ERRORCODE>\n<MESSAGE>${esc(ex.message)}</MESSAGE>\n`;
  if (debug && ex.debuginfo !== undefined) out += `<DEBUGINFO>${esc(ex.debuginfo)}</DEBUGINFO>\n`;
  return `${out}</EXCEPTION>\n`;
}
