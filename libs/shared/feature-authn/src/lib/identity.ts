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
  /**
   * How the user authenticated (RFC 8176: `pwd`, `otp`), for the session
   * cookie and access tokens; absent when the credential does not say.
   */
  readonly amr?: readonly string[];
  /**
   * When the user last proved a factor, epoch milliseconds (the `auth_time`
   * of OpenID Connect Core 1.0 §2); what step-up (RFC 9470) measures.
   */
  readonly authTime?: number;
}

/** The second factors that lift a login to AAL2 (NIST SP 800-63B §4.2). */
const SECOND_FACTORS: readonly string[] = ['otp'];

/**
 * The authentication context class of a login's methods (RFC 9068 §2.2.1
 * `acr`): `aal2` with a second factor, `aal1` with a password alone.
 */
export function assuranceLevel(amr: readonly string[] | undefined): 'aal1' | 'aal2' {
  return amr?.some((method) => SECOND_FACTORS.includes(method)) ? 'aal2' : 'aal1';
}

declare module 'fastify' {
  interface FastifyRequest {
    identity?: Identity;
  }
}
