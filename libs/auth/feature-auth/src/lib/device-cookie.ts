import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isSecureContextOrigin } from '@svt/shared/util-config';
import { randomSecret, safeEqual } from '@svt/shared/util-security';
import type { AuthConfig } from './auth.config';
import { AUTH_CONFIG } from './auth.tokens';
import { ServerKeys } from './server-keys';

/** A browser keeps its device cookie this long after its last successful login. */
const DEVICE_COOKIE_MAX_AGE_SECONDS = 180 * 24 * 3600;

const DEVICE_COOKIE_VALUE = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/**
 * OWASP's device cookies ("Slow Down Online Guessing Attacks with Device
 * Cookies"): a browser in which an account logged in before gets a signed,
 * HttpOnly cookie naming that device and, by its MAC, that account. Login
 * attempts that carry it are counted for the device, not with everyone
 * else's on the account, so an attacker's guesses cannot lock the owner out
 * of a browser the owner used before. The cookie holds no personal data: a
 * random device id and an HMAC over it and the account's pseudonym.
 * `__Host-` and `SameSite=Strict`: set by this host, for this host, and sent
 * only with same-site requests. API clients that keep no cookies are
 * counted on the account, as before.
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
    this.name = this.secure ? '__Host-device' : 'device';
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
      path: '/',
      maxAge: DEVICE_COOKIE_MAX_AGE_SECONDS,
    });
  }

  private mac(deviceId: string, email: string): string {
    return this.keys.deviceMac(`${deviceId}.${this.keys.pseudonym(email)}`);
  }
}
