import type { CookieSerializeOptions } from '@fastify/cookie';
import { sessionCookieName } from '@svt/shared/feature-authn';
import { isSecureContextOrigin } from '@svt/shared/util-config';
import type { AuthConfig } from './auth.config';

/**
 * The session cookie as API.md fixes it: `HttpOnly; SameSite=Lax; Path=/`, no
 * `Domain`, and `Secure` with the `__Host-` prefix wherever the SHOP origin
 * is a secure context (https, or a localhost name).
 */
export class SessionCookie {
  readonly name: string;
  private readonly attributes: CookieSerializeOptions;

  constructor(config: Pick<AuthConfig, 'SHOP_ORIGIN' | 'SESSION_TTL'>) {
    const secure = isSecureContextOrigin(config.SHOP_ORIGIN);
    this.name = sessionCookieName(secure);
    this.attributes = { httpOnly: true, secure, sameSite: 'lax', path: '/' };
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
