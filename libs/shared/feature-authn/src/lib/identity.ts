/** How the user logged in. */
export type LoginMethod = 'session' | 'bearer';

/**
 * What carried the identity on this request: this system's three, or the
 * name a new authenticator gives its own (`(string & {})` keeps the three
 * suggested by the editor while leaving the set open).
 */
export type CredentialKind = 'session-cookie' | 'bearer' | 'identity-token' | (string & {});

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
}

declare module 'fastify' {
  interface FastifyRequest {
    identity?: Identity;
  }
}
