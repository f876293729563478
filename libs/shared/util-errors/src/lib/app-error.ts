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
  /** With `invalid_dpop_proof` and `use_dpop_nonce`: the nonce the next proof must carry. */
  readonly dpopNonce?: string;
  /**
   * The refusal is of a token request (RFC 6749 §5.2), not of a protected
   * resource: DPoP errors are then client errors without a challenge.
   */
  readonly tokenRequest?: boolean;
  /**
   * Extension members of the problem document (RFC 9457 §3.2): what the
   * client needs to go on, e.g. the `pendingLogin` handle of
   * `second_factor_required`. They never replace a standard member.
   */
  readonly extensions?: Readonly<Record<string, ProblemExtension>>;
  /**
   * With `step_up_required`: the assurance the route needs (RFC 9470 §3),
   * which the challenge names as `acr_values` and `max_age`.
   */
  readonly stepUp?: { readonly acrValues: string; readonly maxAgeSeconds: number };
}

/** A JSON value an extension member may hold. */
export type ProblemExtension =
  | string
  | number
  | boolean
  | null
  | readonly ProblemExtension[]
  | { readonly [key: string]: ProblemExtension };

/**
 * An error with a stable code from the catalog. Domain and storage code throw
 * it and say nothing about the transport: each app's edge (util-http's
 * ProblemFilter) maps the code to a status and writes the response.
 */
export class AppError extends Error {
  readonly errors?: readonly FieldError[];
  readonly retryAfterSeconds?: number;
  readonly dpopNonce?: string;
  readonly tokenRequest?: boolean;
  readonly extensions?: Readonly<Record<string, ProblemExtension>>;
  readonly stepUp?: { readonly acrValues: string; readonly maxAgeSeconds: number };

  constructor(
    readonly code: ErrorCode,
    readonly detail: string = ERROR_CATALOG[code].title,
    options: AppErrorOptions = {},
  ) {
    super(`${code}: ${detail}`, { cause: options.cause });
    this.name = 'AppError';
    if (options.errors) this.errors = options.errors;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    if (options.dpopNonce !== undefined) this.dpopNonce = options.dpopNonce;
    if (options.tokenRequest) this.tokenRequest = true;
    if (options.extensions) this.extensions = options.extensions;
    if (options.stepUp) this.stepUp = options.stepUp;
  }
}
