/**
 * Where the OpenID Provider answers at AUTH: discovery at the standard
 * `/.well-known/openid-configuration`, everything else under `/oidc`, apart
 * from the JSON API under `/auth`. The login page is AUTH's own, not the
 * provider's.
 */
export const OIDC_PATHS = {
  discovery: '/.well-known/openid-configuration',
  /** Every route of the provider starts with it (the interaction pages too). */
  prefix: '/oidc/',
  routes: {
    authorization: '/oidc/auth',
    token: '/oidc/token',
    jwks: '/oidc/jwks',
    userinfo: '/oidc/me',
    end_session: '/oidc/session/end',
    pushed_authorization_request: '/oidc/request',
  },
  /** AUTH's login page for one interaction (GET shows it, POST signs in). */
  interaction: (uid: string): string => `/oidc/interaction/${uid}`,
} as const;
