/** The pipeline: the service's authenticators, in the order they run. */
export const AUTHENTICATORS = Symbol.for('svt.Authenticators');

/** The auth service's public keys (a `KeySource`) that the gateway and the cart verify its access tokens with. */
export const AUTH_JWKS = Symbol.for('svt.AuthJwks');

/** The `JwtVerification` of access tokens, for `BearerAuthenticator`. */
export const ACCESS_TOKEN_VERIFICATION = Symbol.for('svt.AccessTokenVerification');

/** The `JwtVerification` of the gateway's identity tokens, for `IdentityTokenAuthenticator`. */
export const IDENTITY_TOKEN_VERIFICATION = Symbol.for('svt.IdentityTokenVerification');

/** The session cookie's name (see `sessionCookieName`), for `SessionCookieAuthenticator`. */
export const SESSION_COOKIE_NAME = Symbol.for('svt.SessionCookieName');

/**
 * DBSC_REQUIRED, for `DeviceBoundSessionAuthenticator`: true refuses
 * sessions that never bound themselves to a device key (default false).
 */
export const DEVICE_BINDING_REQUIRED = Symbol.for('svt.DeviceBindingRequired');
