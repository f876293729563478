import type { Type } from '@nestjs/common';
import type { Authenticator } from '@svt/shared/feature-authn';

/** What `AuthnKitModule.forRoot` is configured with. */
export interface AuthnKitOptions {
  /**
   * The issuer's JSON Web Key Set, e.g. `https://auth.example/.well-known/jwks.json`:
   * the public keys access tokens are verified with (ES256). Fetched at start
   * and every `jwksRefreshIntervalMs`, never because a token names an unknown
   * key (RFC 8725 §3.10).
   */
  readonly jwksUrl: string;
  /** The access tokens' `iss`. */
  readonly issuer: string;
  /** The access tokens' `aud` this application accepts. */
  readonly audience: string;
  /**
   * Where the sessions and the revocation list live: a `redis://` or
   * `rediss://` URL (revocations arrive by pub/sub), or the path of a SQLite
   * file (revocations arrive by polling every 200 ms). Shared with the service
   * that logs users in, which writes both.
   */
  readonly sessionStoreUrl: string;
  /** Prepended to every Redis key, as the issuing service has it (default none). */
  readonly redisKeyPrefix?: string;
  /** The session cookie's name, e.g. `__Host-Http-sid`. */
  readonly sessionCookieName: string;
  /**
   * Origins allowed to make cookie-authenticated unsafe requests (POST, PUT,
   * DELETE…), which also need the session's CSRF token in `X-CSRF-Token`.
   */
  readonly allowedOrigins: readonly string[];
  /** The `detail` of the 401 when a request carries no credential a route accepts. */
  readonly unauthenticatedDetail?: string;
  /** How often the JWKS is fetched again (default 30 s): how a key rotation arrives. */
  readonly jwksRefreshIntervalMs?: number;
  /**
   * Enables `accept: ['dpop']` (RFC 9449): `origin` is this application's
   * public origin, which proofs name. Proof `jti`s are remembered in the
   * session store so that a proof is good once.
   */
  readonly dpop?: { readonly origin: string; readonly alsoAt?: readonly string[] };
  /**
   * More authenticators by the name routes accept them under, e.g.
   * `{ 'api-key': ApiKeyAuthenticator }`: Nest providers that may inject
   * `SESSION_STORE` and `DENYLIST`.
   */
  readonly authenticators?: Readonly<Record<string, Type<Authenticator>>>;
}

/** The built-in credentials a route can accept. */
export type BuiltInCredential = 'session' | 'bearer' | 'dpop';

/** A name a route accepts: a built-in one, or one of `AuthnKitOptions.authenticators`. */
export type CredentialName = BuiltInCredential | (string & {});

const BUILT_IN: readonly BuiltInCredential[] = ['session', 'bearer', 'dpop'];

/**
 * The options, checked once at start and frozen. A mistake here is the
 * programmer's, so it is a `TypeError` naming every problem at once, never an
 * HTTP error later.
 */
export function checkAuthnKitOptions(options: AuthnKitOptions): Readonly<AuthnKitOptions> {
  const problems: string[] = [];
  for (const name of [
    'jwksUrl',
    'issuer',
    'audience',
    'sessionStoreUrl',
    'sessionCookieName',
  ] as const) {
    if (typeof options[name] !== 'string' || options[name].trim() === '') {
      problems.push(`${name} is required`);
    }
  }
  if (typeof options.jwksUrl === 'string' && !isHttpUrl(options.jwksUrl)) {
    problems.push('jwksUrl must be an http(s) URL');
  }
  if (!Array.isArray(options.allowedOrigins)) {
    problems.push('allowedOrigins must be an array of origins');
  } else {
    for (const origin of options.allowedOrigins) {
      if (!isHttpUrl(origin) || new URL(origin).origin !== origin) {
        problems.push(`allowedOrigins: "${origin}" is not an origin (scheme://host[:port])`);
      }
    }
  }
  for (const name of Object.keys(options.authenticators ?? {})) {
    if ((BUILT_IN as readonly string[]).includes(name)) {
      problems.push(`authenticators: "${name}" is a built-in credential name`);
    }
  }
  if (problems.length > 0) {
    throw new TypeError(`AuthnKitModule.forRoot: ${problems.join('; ')}`);
  }
  return Object.freeze({ ...options, allowedOrigins: Object.freeze([...options.allowedOrigins]) });
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
