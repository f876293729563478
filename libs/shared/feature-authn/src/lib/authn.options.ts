/** What the guard needs besides the authenticators. */
export interface AuthnOptions {
  /** Origins allowed to make cookie-authenticated unsafe requests. */
  readonly allowedOrigins: readonly string[];
  /** The `detail` of a 401 when no credential was sent. */
  readonly unauthenticatedDetail: string;
}

export const AUTHN_OPTIONS = Symbol.for('svt.AuthnOptions');
