import type { ErrorCode } from './error-catalog';
import { ERROR_CATALOG } from './error-catalog';

/** A field-level validation problem. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** What an {@link AppError} may carry besides its code and detail. */
export interface AppErrorOptions {
  /** Each field that failed validation, with `validation_failed`. */
  readonly errors?: readonly FieldError[];
  /** Whole seconds after which the caller may try again, with `rate_limited`. */
  readonly retryAfterSeconds?: number;
  /** The failure underneath, for the log only: a client never sees it. */
  readonly cause?: unknown;
}

/**
 * An error with a stable code from the catalog. Domain and storage code throw
 * it and say nothing about the transport: each app's edge (util-http's
 * ProblemFilter) maps the code to a status and writes the response.
 */
export class AppError extends Error {
  readonly errors?: readonly FieldError[];
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string = ERROR_CATALOG[code].title,
    options: AppErrorOptions = {},
  ) {
    super(`${code}: ${detail}`, { cause: options.cause });
    this.name = 'AppError';
    if (options.errors) this.errors = options.errors;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
