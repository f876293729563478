/**
 * Every error code a client can receive, with its HTTP status and title.
 * `docs/errors.md` documents each one; a unit test keeps the two in step.
 */
export const ERROR_CATALOG = {
  validation_failed: { status: 400, title: 'The request is invalid' },
  malformed_json: { status: 400, title: 'The body is not valid JSON' },
  bad_request: { status: 400, title: 'The request cannot be processed' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  invalid_credentials: { status: 401, title: 'Invalid email or password' },
  invalid_token: { status: 401, title: 'The access token is invalid' },
  invalid_refresh_token: { status: 401, title: 'The refresh token is invalid' },
  forbidden_origin: { status: 403, title: 'The request origin is not allowed' },
  wrong_password: { status: 403, title: 'The current password is wrong' },
  csrf_failed: { status: 403, title: 'The CSRF token is missing or wrong' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  email_taken: { status: 409, title: 'The email is already registered' },
  cart_full: { status: 409, title: 'The cart holds the most items it may' },
  payload_too_large: { status: 413, title: 'The body is too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  headers_too_large: { status: 431, title: 'The request headers are too large' },
  internal_error: { status: 500, title: 'Internal error' },
  upstream_unavailable: { status: 502, title: 'An upstream service did not answer' },
  store_unavailable: { status: 503, title: 'A storage backend is unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** A field-level validation problem. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * An error with a stable code from the catalog. Domain code throws it; the
 * app's ProblemFilter turns it into an RFC 9457 response.
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string = ERROR_CATALOG[code].title,
    readonly extras: {
      readonly errors?: readonly FieldError[];
      readonly headers?: Readonly<Record<string, string>>;
      readonly cause?: unknown;
    } = {},
  ) {
    super(`${code}: ${detail}`, { cause: extras.cause });
    this.name = 'AppError';
    this.status = ERROR_CATALOG[code].status;
  }
}
