import type { CookieSerializeOptions } from '@fastify/cookie';
import { isSecureContextOrigin } from '@svt/shared/util-config';
import { boundCookieName, sessionCookieName } from './authenticators/session-cookie.authenticator';

/** How a site's session cookie is set. */
export interface SessionCookieOptions {
  /**
   * SESSION_COOKIE_DOMAIN: a parent domain to share the cookie with same-site
   * siblings. Unset: a host-only cookie.
   */
  readonly domain?: string;
  /**
   * `strict` where every request that needs the session starts on the site
   * itself; `lax` where a page that reads it is reached by a link from
   * another site.
   */
  readonly sameSite: 'strict' | 'lax';
}

/**
 * The session cookie: `HttpOnly; Path=/`, no `Domain`, and `Secure` with the
 * `__Host-Http-` prefix wherever `origin` (the site the cookie belongs to:
 * SHOP for AUTH and the gateway, CART for CART) is a secure context (https,
 * or a localhost name). A deployment may set SESSION_COOKIE_DOMAIN to share it
 * with same-site siblings: then `Domain=<it>` and the `__Http-` prefix. Its
 * `name` is the one `provideSessionCookieName(origin, domain)` gives the
 * authenticator.
 *
 * SameSite, per site:
 * - SHOP's cookie (set by AUTH through the gateway, and by the gateway's
 *   single sign-on callback) is `Strict`. The shop page is static and reads
 *   the session only with `fetch()` calls to its own site, which carry a
 *   `Strict` cookie even when the page was reached from another site (the
 *   callback's redirect from AUTH included). No cross-site request, top-level
 *   or not, then acts with the shop's session.
 * - CART's cookie is `Lax`. The cart page (`GET /` on CART) reads the
 *   session server-side, and is reached by navigations started on another
 *   site: a link on the shop, and the way back from AUTH's login page through
 *   the single sign-on callback. These carry `Lax` cookies, never `Strict`
 *   ones: with `Strict` the page finds no session and signs in again, in a loop.
 */
export class SessionCookie {
  readonly name: string;
  /** The name of its device-bound cookie (DBSC), which has the same attributes. */
  readonly boundName: string;
  private readonly attributes: CookieSerializeOptions;

  constructor(origin: string, { domain, sameSite }: SessionCookieOptions) {
    const secure = isSecureContextOrigin(origin);
    this.name = sessionCookieName(secure, domain);
    this.boundName = boundCookieName(this.name);
    this.attributes = {
      httpOnly: true,
      secure,
      sameSite,
      path: '/',
      ...(domain ? { domain } : {}),
    };
  }

  /** Attributes for setting the cookie, expiring with the session. */
  set(maxAgeSeconds: number): CookieSerializeOptions {
    return { ...this.attributes, maxAge: maxAgeSeconds };
  }

  /** Attributes for clearing it (same name, path and flags, or the browser keeps it). */
  clear(): CookieSerializeOptions {
    return { ...this.attributes, maxAge: 0, expires: new Date(0) };
  }

  /**
   * The attributes as a `Set-Cookie` line spells them, without the lifetime:
   * what a DBSC session configuration declares for its bound cookie, which
   * has the same attributes as the session cookie. A browser matches them
   * against the cookie it holds, so they must be exactly what `set` writes.
   */
  attributesText(): string {
    const { path, domain, secure, httpOnly, sameSite } = this.attributes;
    return [
      `Path=${path}`,
      ...(domain ? [`Domain=${domain}`] : []),
      ...(secure ? ['Secure'] : []),
      ...(httpOnly ? ['HttpOnly'] : []),
      `SameSite=${sameSite === 'strict' ? 'Strict' : 'Lax'}`,
    ].join('; ');
  }
}
