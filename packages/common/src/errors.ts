/**
 * The one error base class of the project. Every error a service raises on
 * purpose is an AppError with a stable, machine-readable `code`; each service
 * maps them to its wire format (JSON-RPC, HTTP) at exactly one boundary.
 * Anything else that reaches that boundary is an internal error whose details
 * (stack, message) stay in the process log.
 */
export class AppError extends Error {
  readonly code: string;
  /** Extra, non-secret facts for the caller (e.g. which field was wrong). */
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

/** A configuration error: names every bad variable; the service exits non-zero. */
export class ConfigError extends AppError {
  readonly problems: string[];
  constructor(service: string, problems: string[]) {
    super('config_invalid', `${service}: invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** The message of any thrown value, without a stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}
