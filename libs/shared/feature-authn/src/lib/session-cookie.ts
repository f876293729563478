import type { CookieSerializeOptions } from '@fastify/cookie';
import { isSecureContextOrigin } from '@svt/shared/util-config';
import { sessionCookieName } from './authenticators/session-cookie.authenticator';

/**
 * The session cookie as API.md fixes it: `HttpOnly; SameSite=Lax; Path=/`, no
 * `Domain`, and `Secure` with the `__Host-` prefix wherever `origin` (the
 * site the cookie belongs to: SHOP for AUTH and the gateway, CART for CART)
 * is a secure context (https, or a localhost name). A deployment may set
 * SESSION_COOKIE_DOMAIN to share it with same-site siblings: then
 * `Domain=<it>` and the `__Secure-` prefix. Its `name` is the one
 * `provideSessionCookieName(origin, domain)` gives the authenticator.
 */
export class SessionCookie {
  readonly name: string;
  private readonly attributes: CookieSerializeOptions;

  constructor(origin: string, domain?: string) {
    const secure = isSecureContextOrigin(origin);
    this.name = sessionCookieName(secure, domain);
    this.attributes = {
      httpOnly: true,
      secure,
      sameSite: 'lax',
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
}
