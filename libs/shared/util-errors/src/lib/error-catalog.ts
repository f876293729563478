/**
 * Every error code a client can receive, with its title. The codes are stable:
 * clients branch on them. A transport gives each one its own form (util-http:
 * an HTTP status); `docs/errors.md` documents each one, and a unit test keeps
 * the two in step.
 */
export const ERROR_CATALOG = {
  validation_failed: { title: 'The request is invalid' },
  malformed_json: { title: 'The body is not valid JSON' },
  bad_request: { title: 'The request cannot be processed' },
  sso_failed: { title: 'Single sign-on failed' },
  unauthenticated: { title: 'Authentication required' },
  invalid_credentials: { title: 'Invalid email or password' },
  invalid_token: { title: 'The access token is invalid' },
  invalid_refresh_token: { title: 'The refresh token is invalid' },
  invalid_dpop_proof: { title: 'The DPoP proof is invalid' },
  use_dpop_nonce: { title: 'The DPoP proof needs a server nonce' },
  bound_cookie_required: { title: "The session's device-bound cookie is missing or expired" },
  device_binding_required: { title: 'The session is not bound to a device' },
  invalid_session_proof: { title: 'The device-bound session proof is invalid' },
  session_proof_required: { title: 'A device-bound session proof is required' },
  session_not_bound: { title: 'The session is not bound to a device key' },
  forbidden_origin: { title: 'The request origin is not allowed' },
  wrong_password: { title: 'The current password is wrong' },
  email_not_verified: { title: 'The email address is not verified yet' },
  step_up_required: { title: 'This needs a recent second factor' },
  invalid_verification_token: { title: 'The verification link is invalid or expired' },
  invalid_reset_token: { title: 'The password reset link is invalid or expired' },
  invalid_otp: { title: 'The code is wrong or already used' },
  second_factor_required: { title: 'A second factor is required to finish the login' },
  invalid_pending_login: { title: 'The login is expired or unknown; start again' },
  totp_already_enabled: { title: 'Two-factor authentication is already on' },
  totp_not_enabled: { title: 'Two-factor authentication is not on' },
  csrf_failed: { title: 'The CSRF token is missing or wrong' },
  sso_denied: { title: 'Sign-in at AUTH was refused' },
  not_found: { title: 'Not found' },
  method_not_allowed: { title: 'Method not allowed' },
  email_taken: { title: 'The email is already registered' },
  cart_full: { title: 'The cart holds the most items it may' },
  payload_too_large: { title: 'The body is too large' },
  unsupported_media_type: { title: 'Unsupported content type' },
  rate_limited: { title: 'Too many requests' },
  headers_too_large: { title: 'The request headers are too large' },
  internal_error: { title: 'Internal error' },
  upstream_unavailable: { title: 'An upstream service did not answer' },
  store_unavailable: { title: 'A storage backend is unavailable' },
} as const satisfies Record<string, { title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;
