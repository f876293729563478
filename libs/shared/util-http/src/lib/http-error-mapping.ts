import type { AppError, ErrorCode } from '@svt/shared/util-errors';

/**
 * The HTTP status of every code in the catalog. `satisfies` makes a code
 * without a status, or a status for no code, a compile error.
 */
export const ERROR_STATUS = {
  validation_failed: 400,
  malformed_json: 400,
  bad_request: 400,
  sso_failed: 400,
  invalid_verification_token: 400,
  invalid_reset_token: 400,
  invalid_otp: 400,
  session_not_bound: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  invalid_token: 401,
  invalid_refresh_token: 401,
  invalid_dpop_proof: 401,
  use_dpop_nonce: 401,
  bound_cookie_required: 401,
  device_binding_required: 401,
  invalid_session_proof: 401,
  second_factor_required: 401,
  invalid_pending_login: 401,
  step_up_required: 401,
  forbidden_origin: 403,
  wrong_password: 403,
  email_not_verified: 403,
  csrf_failed: 403,
  sso_denied: 403,
  session_proof_required: 403,
  not_found: 404,
  method_not_allowed: 405,
  email_taken: 409,
  totp_already_enabled: 409,
  totp_not_enabled: 409,
  cart_full: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  headers_too_large: 431,
  internal_error: 500,
  upstream_unavailable: 502,
  store_unavailable: 503,
} as const satisfies Record<ErrorCode, number>;

const CHALLENGE = 'Bearer realm="svt"';

/** The DPoP errors (RFC 9449 §7.1, §9): a DPoP challenge at a resource, a 400 at a token endpoint. */
const DPOP_ERRORS: ReadonlySet<ErrorCode> = new Set(['invalid_dpop_proof', 'use_dpop_nonce']);

/**
 * The status of an error: its code's, except that a DPoP refusal of a token
 * request is the client error RFC 6749 §5.2 prescribes (RFC 9449 §5, §8).
 */
export function statusOf(error: AppError): number {
  return error.tokenRequest && DPOP_ERRORS.has(error.code) ? 400 : ERROR_STATUS[error.code];
}

/**
 * The access-token scheme a service's 401s challenge with: `Bearer`, or
 * `DPoP` where only DPoP-bound tokens work (DPOP_REQUIRED), since a
 * challenge names a scheme that can succeed (RFC 9110 §11.6.1).
 */
export type TokenScheme = 'Bearer' | 'DPoP';

const DPOP_CHALLENGE = 'DPoP algs="ES256"';

/** RFC 9110 §11.6.1 challenge for a 401 of this code. */
function challenge(error: AppError, scheme: TokenScheme): string {
  const { code } = error;
  if (DPOP_ERRORS.has(code)) return `${DPOP_CHALLENGE}, error="${code}"`;
  const base = scheme === 'DPoP' ? DPOP_CHALLENGE : CHALLENGE;
  // RFC 9470 §3: the authentication was not recent or strong enough; say what would do.
  if (code === 'step_up_required' && error.stepUp) {
    return (
      `${base}, error="insufficient_user_authentication", ` +
      `error_description="A second factor within ${error.stepUp.maxAgeSeconds} seconds is required", ` +
      `acr_values="${error.stepUp.acrValues}", max_age=${error.stepUp.maxAgeSeconds}`
    );
  }
  // RFC 6750 §3.1, RFC 9449 §7.1: error="invalid_token" when the token presented was refused.
  return code === 'invalid_token' ? `${base}, error="invalid_token"` : base;
}

/**
 * The response headers an error implies, derived here from its code and its
 * transport-neutral fields rather than carried by the error as HTTP headers:
 * the thrower (a store, a service) then needs to know nothing of HTTP, and
 * every 401 gets the same challenge whoever threw it.
 */
export function problemHeaders(
  error: AppError,
  scheme: TokenScheme = 'Bearer',
): Record<string, string> {
  return {
    // RFC 9110 §15.5.2: every 401 names a scheme, failed logins included.
    ...(statusOf(error) === 401 ? { 'www-authenticate': challenge(error, scheme) } : {}),
    // RFC 9449 §8, §9: the nonce the next proof must carry.
    ...(error.dpopNonce !== undefined ? { 'dpop-nonce': error.dpopNonce } : {}),
    // RFC 9110 §10.2.3: Retry-After in delay-seconds.
    ...(error.retryAfterSeconds !== undefined
      ? { 'retry-after': String(error.retryAfterSeconds) }
      : {}),
  };
}
