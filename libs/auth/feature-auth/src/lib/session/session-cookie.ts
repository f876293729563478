import type { CookieSerializeOptions } from '@fastify/cookie';
import { sessionCookieName } from '@svt/shared/feature-authn';
import { isSecureContextOrigin } from '@svt/shared/util-config';
import type { AuthConfig } from '../auth.config';

/**
 * The session cookie as API.md fixes it: `HttpOnly; SameSite=Lax; Path=/`, no
 * `Domain`, and `Secure` with the `__Host-` prefix wherever the SHOP origin
 * is a secure context (https, or a localhost name). A deployment may set
 * SESSION_COOKIE_DOMAIN to share it with same-site siblings: then
 * `Domain=<it>` and the `__Secure-` prefix.
 */
export class SessionCookie {
  readonly name: string;
  private readonly attributes: CookieSerializeOptions;

  constructor(config: Pick<AuthConfig, 'SHOP_ORIGIN' | 'SESSION_COOKIE_DOMAIN'>) {
    const secure = isSecureContextOrigin(config.SHOP_ORIGIN);
    const domain = config.SESSION_COOKIE_DOMAIN;
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
