/**
 * The shape of a simulated web service function: its parameter description
 * (validated before the handler runs, as webservice_base_server::execute does)
 * and its implementation over the store. A handler returns the value Moodle's
 * clean_returnvalue would produce (null for functions without returns) or
 * throws a MoodleException.
 */
import type { Access } from '../auth/access.js';
import type { Store } from '../data/store.js';
import type { SingleDesc } from '../params/schema.js';
import type { Clean } from '../params/validate.js';

export interface CallContext {
  store: Store;
  access: Access;
  /** The site's wwwroot, e.g. http://127.0.0.1:8088 (for URLs in answers). */
  wwwroot: string;
  /** The token of the request (core_webservice_get_site_info reads the service from it). */
  token: string;
  /** The functions the token's service contains. */
  serviceFunctions: string[];
}

/** Validated parameters: keys as described, values as validate_parameters returns them. */
export type Params = { [key: string]: Clean };

export interface WsFunction {
  name: string;
  params: SingleDesc;
  handler(ctx: CallContext, p: Params): unknown;
}

/** A warning entry (external_warnings: item and itemid are VALUE_OPTIONAL, item is PARAM_TEXT). */
export interface Warning {
  item?: string;
  itemid?: number;
  warningcode: string;
  message: string;
}

/** Reads validated params with the types their description guarantees. */
export const read = {
  int: (p: Params, k: string): number => p[k] as number,
  float: (p: Params, k: string): number => p[k] as number,
  bool: (p: Params, k: string): boolean => p[k] as boolean,
  str: (p: Params, k: string): string => p[k] as string,
  ints: (p: Params, k: string): number[] => (p[k] as number[] | undefined) ?? [],
  nullableInt: (p: Params, k: string): number | null => (p[k] as number | null | undefined) ?? null,
  obj: (p: Params, k: string): Params => (p[k] as Params | undefined) ?? {},
  list: (p: Params, k: string): Params[] => (p[k] as Params[] | undefined) ?? [],
};
