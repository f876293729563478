/** A relying party of AUTH's OpenID Provider: its client id and the paths it serves at its own origin. */
export interface RelyingParty {
  readonly clientId: string;
  /** Where a sign-in starts (`GET`, optional `prompt=none` and `return_to`), under the site's public origin. */
  readonly loginPath: string;
  /** Where the site's own sign-out posts: ends the local session, then AUTH's. */
  readonly logoutPath: string;
  /** The one `redirect_uri` registered (exact match, RFC 9700 §4.1.3), under the site's public origin. */
  readonly callbackPath: string;
  /** Where AUTH posts logout tokens (OpenID Connect Back-Channel Logout 1.0), at the service's internal URL. */
  readonly backchannelLogoutPath: string;
  /** The public key of its `private_key_jwt` client authentication, at the service's internal URL. */
  readonly jwksPath: string;
  /** The one `post_logout_redirect_uri` registered, under the site's public origin. */
  readonly postLogoutPath: string;
}

/**
 * The two relying parties of single sign-on, said once: AUTH registers them
 * from here and each serves the paths named here. The gateway answers as
 * SHOP, under `/api` like the rest of its API; CART on its own site.
 */
export const RELYING_PARTIES = {
  shop: {
    clientId: 'shop',
    loginPath: '/api/sso/login',
    logoutPath: '/api/sso/logout',
    callbackPath: '/api/sso/callback',
    backchannelLogoutPath: '/api/sso/backchannel-logout',
    jwksPath: '/api/sso/jwks',
    postLogoutPath: '/',
  },
  cart: {
    clientId: 'cart',
    loginPath: '/sso/login',
    logoutPath: '/sso/logout',
    callbackPath: '/sso/callback',
    backchannelLogoutPath: '/sso/backchannel-logout',
    jwksPath: '/sso/jwks',
    postLogoutPath: '/',
  },
} as const satisfies Record<string, RelyingParty>;
