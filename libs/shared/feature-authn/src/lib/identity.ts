/** How the user logged in: a session, or tokens (bound to a DPoP key or not). */
export type LoginMethod = 'session' | 'bearer' | 'dpop';

/**
 * What carried the identity on this request: this system's four, or the
 * name a new authenticator gives its own (`(string & {})` keeps the four
 * suggested by the editor while leaving the set open).
 */
export type CredentialKind =
  | 'session-cookie'
  | 'bearer'
  | 'dpop'
  | 'identity-token'
  | (string & {});

/** Who is calling, as an authenticator established it. */
export interface Identity {
  readonly userId: string;
  /** Public handle of the session or token family (the `sid` claim). */
  readonly sessionId: string;
  readonly method: LoginMethod;
  readonly credential: CredentialKind;
  /**
   * When the credential stops being valid, epoch milliseconds: for a session,
   * the idle deadline or the absolute timeout, whichever comes first.
   */
  readonly expiresAt: number;
  /** Session cookies only: the absolute timeout, however active the session. */
  readonly absoluteExpiresAt?: number;
  /** The session's CSRF token, when the credential is the session cookie. */
  readonly csrfToken?: string;
  /**
   * Session cookies only: the session is bound to a device key (DBSC) and
   * its short-lived bound cookie was checked on this request.
   */
  readonly deviceBound?: boolean;
  /**
   * Access tokens bound to a DPoP key (RFC 9449 §6.1): the key's thumbprint,
   * the token's `cnf.jkt`. Such a token is accepted only with a proof by it.
   */
  readonly boundKey?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    identity?: Identity;
  }
}
