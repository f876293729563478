import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isSecureContextOrigin } from '@svt/shared/util-config';
import { randomSecret, safeEqual } from '@svt/shared/util-security';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';
import { ServerKeys } from './server-keys';

/** A browser keeps its device cookie this long after its last successful login. */
const DEVICE_COOKIE_MAX_AGE_SECONDS = 180 * 24 * 3600;

const DEVICE_COOKIE_VALUE = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** What a proxy in front may say it mounts AUTH under, e.g. the gateway's `/api`. */
const FORWARDED_PREFIX = /^(\/[A-Za-z0-9._~-]+){1,4}$/;

/**
 * OWASP's device cookies ("Slow Down Online Guessing Attacks with Device
 * Cookies"): a browser in which an account logged in before gets a signed,
 * HttpOnly cookie naming that device and, by its MAC, that account. Login
 * attempts that carry it are counted for the device, not with everyone
 * else's on the account, so an attacker's guesses cannot lock the owner out
 * of a browser the owner used before. The cookie holds no personal data: a
 * random device id and an HMAC over it and the account's pseudonym.
 * `Path` is AUTH's own routes (`/api/auth` behind the gateway, which says
 * so in `X-Forwarded-Prefix`), so the cookie rides along with logins only,
 * never with every request; `__Secure-` (a path rules out `__Host-`) and
 * `SameSite=Strict`. API clients that keep no cookies are counted on the
 * account, as before.
 */
@Injectable()
export class DeviceCookies {
  readonly name: string;
  private readonly secure: boolean;

  constructor(
    @Inject(AUTH_CONFIG) config: Pick<AuthConfig, 'SHOP_ORIGIN'>,
    private readonly keys: ServerKeys,
  ) {
    this.secure = isSecureContextOrigin(config.SHOP_ORIGIN);
    this.name = this.secure ? '__Secure-device' : 'device';
  }

  /** The device id of the request's cookie when it was issued for `email`; else null. */
  deviceOf(request: FastifyRequest, email: string): string | null {
    const match = DEVICE_COOKIE_VALUE.exec(request.cookies[this.name] ?? '');
    if (!match) return null;
    const [, deviceId, mac] = match;
    return safeEqual(mac, this.mac(deviceId, email)) ? deviceId : null;
  }

  /** Sets the cookie after a successful login as `email`, keeping the device id it already had. */
  remember(request: FastifyRequest, reply: FastifyReply, email: string): void {
    const deviceId = this.deviceOf(request, email) ?? randomSecret(16);
    reply.setCookie(this.name, `${deviceId}.${this.mac(deviceId, email)}`, {
      httpOnly: true,
      secure: this.secure,
      sameSite: 'strict',
      path: `${forwardedPrefix(request)}/auth`,
      maxAge: DEVICE_COOKIE_MAX_AGE_SECONDS,
    });
  }

  private mac(deviceId: string, email: string): string {
    return this.keys.deviceMac(`${deviceId}.${this.keys.pseudonym(email)}`);
  }
}

/**
 * The prefix a proxy mounts AUTH under, from `X-Forwarded-Prefix`; none when
 * absent or malformed. Not a matter of trust: a client that forges it only
 * scopes its own cookie to a path where it is never sent back.
 */
function forwardedPrefix(request: FastifyRequest): string {
  const prefix = request.headers['x-forwarded-prefix'];
  return typeof prefix === 'string' && FORWARDED_PREFIX.test(prefix) ? prefix : '';
}
