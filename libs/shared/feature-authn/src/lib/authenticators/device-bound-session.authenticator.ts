import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { SessionStore } from '@svt/shared/data-access-sessions';
import { hasLiveBoundCookie, SESSION_STORE } from '@svt/shared/data-access-sessions';
import { AppError } from '@svt/shared/util-errors';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK, sha256Hex } from '@svt/shared/util-security';
import type { AuthnResult, Authenticator } from '../authenticator';
import { NOT_MINE } from '../authenticator';
import { DEVICE_BINDING_REQUIRED, SESSION_COOKIE_NAME } from '../authn.tokens';
import { boundCookieName, lookUpSession, sessionIdentity } from './session-cookie.authenticator';

/**
 * The header a browser adds when it sent a request without the bound cookie
 * on purpose (W3C DBSC, "Secure-Session-Skipped"): its refresh failed or it
 * ran out of signing quota.
 */
const SKIPPED_HEADER = 'secure-session-skipped';

const BINDING_REQUIRED: AuthnResult = Object.freeze({
  kind: 'rejected',
  reason: 'device_binding_missing',
  tokenPresented: false,
  error: new AppError(
    'device_binding_required',
    'This service accepts only sessions bound to a device key (DBSC_REQUIRED); this one never registered one. Log in with a browser that supports Device Bound Session Credentials.',
  ),
});

/**
 * A session cookie whose session is bound to a device key (W3C Device
 * Bound Session Credentials): accepted only with the short-lived bound
 * cookie that the registered browser renews by signing a challenge, so a
 * copied cookie jar stops working when its bound cookie expires. Sessions
 * without a binding are left to `SessionCookieAuthenticator`, which comes
 * next, unless DBSC_REQUIRED refuses them here. The session is read once
 * for both (`lookUpSession`).
 */
@Injectable()
export class DeviceBoundSessionAuthenticator implements Authenticator {
  readonly name = 'device-bound-session';
  private readonly logger = new Logger(DeviceBoundSessionAuthenticator.name);
  private readonly boundCookieName: string;
  private readonly now: () => number;

  constructor(
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(SESSION_COOKIE_NAME) private readonly cookieName: string,
    @Optional() @Inject(DEVICE_BINDING_REQUIRED) private readonly required = false,
    @Optional() @Inject(CLOCK) clock?: Clock,
  ) {
    this.boundCookieName = boundCookieName(cookieName);
    this.now = clock ? () => clock.now() : Date.now;
  }

  async authenticate(request: FastifyRequest): Promise<AuthnResult> {
    const secret = request.cookies[this.cookieName];
    if (secret === undefined || secret === '') return NOT_MINE;
    const now = this.now();
    const session = await lookUpSession(request, secret, this.store, now, this.logger);
    // An unknown session is refused by the session-cookie authenticator.
    if (!session) return NOT_MINE;
    const binding = session.deviceBinding;
    if (!binding?.key) return this.required ? BINDING_REQUIRED : NOT_MINE;
    const bound = request.cookies[this.boundCookieName];
    if (bound === undefined || !hasLiveBoundCookie(binding, sha256Hex(bound), now)) {
      return boundCookieRefused(request);
    }
    return { kind: 'authenticated', identity: sessionIdentity(session, true) };
  }
}

function boundCookieRefused(request: FastifyRequest): AuthnResult {
  const skipped = request.headers[SKIPPED_HEADER];
  const why =
    typeof skipped === 'string'
      ? ` The browser says it skipped the refresh (${skipped.split(';', 1)[0].trim()}).`
      : '';
  return {
    kind: 'rejected',
    reason: 'bound_cookie_invalid',
    tokenPresented: false,
    error: new AppError(
      'bound_cookie_required',
      `This session is bound to its device (DBSC): its short-lived bound cookie is missing, expired or not this session's. The browser that registered the session renews it by itself; a copy of the cookies cannot.${why}`,
    ),
  };
}
