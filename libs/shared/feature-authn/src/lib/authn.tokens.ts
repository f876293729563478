export const AUTHENTICATORS = Symbol.for('svt.Authenticators');

/** The auth service's public keys (a `RemoteJwks`) that the gateway and the cart verify its access tokens with. */
export const AUTH_JWKS = Symbol.for('svt.AuthJwks');
