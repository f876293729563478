import type { Denylist, SessionStore } from '@svt/shared/data-access-sessions';
import type { JwtVerification } from './jwt-verification';

export type AuthenticatorKind = 'identity-token' | 'bearer' | 'session-cookie';

/** How an app authenticates its requests. */
export interface AuthnOptions {
  /** Authenticators in the order they run; the first that is not "not mine" decides. */
  readonly pipeline: readonly AuthenticatorKind[];
  readonly accessToken?: JwtVerification;
  readonly identityToken?: JwtVerification;
  readonly sessions?: SessionStore;
  /** Revoked `sid`s: every verified access or identity token is checked against it. */
  readonly denylist?: Denylist;
  readonly sessionCookieName: string;
  /** Origins allowed to make cookie-authenticated unsafe requests. */
  readonly allowedOrigins: readonly string[];
  /** The `detail` of a 401 when no credential was sent. */
  readonly unauthenticatedDetail: string;
}

export const AUTHN_OPTIONS = Symbol.for('svt.AuthnOptions');
