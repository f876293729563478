import type { SessionCookie } from '@svt/shared/feature-authn';
import type { RelyingParty, SsoConfig } from '@svt/shared/util-config';

/** What a service says about itself as a relying party of AUTH. */
export interface SsoOptions {
  /** Its entry in `RELYING_PARTIES`: client id and the paths it serves. */
  readonly party: RelyingParty;
  /** Its public origin (SHOP_ORIGIN, CART_ORIGIN): redirect URIs and cookies are under it. */
  readonly origin: string;
  /** AUTH as a browser sees it, and the issuer identifier (AUTH_ORIGIN). */
  readonly authOrigin: string;
  /** AUTH as this service's back end reaches it (AUTH_URL): discovery, token, JWKS. */
  readonly authUrl: string;
  /** SSO_COOKIE_SECRET: the flow cookie's key is derived from it. */
  readonly cookieSecret: string;
  /** SESSION_TTL and SESSION_IDLE_TTL, seconds, as AUTH's sessions have them. */
  readonly sessionTtlSeconds: number;
  readonly sessionIdleTtlSeconds: number;
  /**
   * The service's session cookie: its `name` must be the one its
   * `SessionCookieAuthenticator` reads (`provideSessionCookieName` with the
   * same origin and domain).
   */
  readonly sessionCookie: SessionCookie;
  /**
   * DATA_DIR: the client's own key is `sso-client-key-<client id>.pem` there,
   * created on first start. Named per client because the local processes
   * share one DATA_DIR: the gateway and CART must not end up with one key.
   */
  readonly dataDir: string;
}

/** The variables `ssoOptions` reads: `ssoFields`, AUTH's two addresses and the data dir. */
export type SsoServiceConfig = SsoConfig & {
  readonly AUTH_ORIGIN: string;
  readonly AUTH_URL: string;
  readonly DATA_DIR: string;
};

/** A service's `SsoOptions` from its validated config, and what it says of its own site. */
export function ssoOptions(
  config: SsoServiceConfig,
  site: Pick<SsoOptions, 'party' | 'origin' | 'sessionCookie'>,
): SsoOptions {
  return {
    ...site,
    authOrigin: config.AUTH_ORIGIN,
    authUrl: config.AUTH_URL,
    cookieSecret: config.SSO_COOKIE_SECRET,
    sessionTtlSeconds: config.SESSION_TTL,
    sessionIdleTtlSeconds: config.SESSION_IDLE_TTL,
    dataDir: config.DATA_DIR,
  };
}

export const SSO_OPTIONS = Symbol.for('svt.SsoOptions');
/** The client's `SigningKey` for `private_key_jwt`; its public half is served at `party.jwksPath`. */
export const SSO_CLIENT_KEY = Symbol.for('svt.SsoClientKey');
