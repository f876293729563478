import type { ValueProvider } from '@nestjs/common';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { SessionRecord, SessionStore } from '@svt/shared/data-access-sessions';
import { SESSION_STORE, sessionEndsAt } from '@svt/shared/data-access-sessions';
import { isSecureContextOrigin } from '@svt/shared/util-config';
import { failClosed } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK, sha256Hex } from '@svt/shared/util-security';
import type { AuthnResult, Authenticator } from '../authenticator';
import { NOT_MINE } from '../authenticator';
import { timed } from '../authn.metrics';
import { SESSION_COOKIE_NAME } from '../authn.tokens';
import type { Identity } from '../identity';

/**
 * The name of a session's device-bound cookie (DBSC): the session cookie's
 * name with `-bound`, keeping its prefix's rules (`Secure`, and host-only
 * for `__Host-`), except that `__Host-Http-` becomes `__Host-`: Chromium 156
 * cannot bind a `__Host-Http-` cookie (its check of the declared credential
 * keeps a `Domain` that the prefix forbids, and registration fails with
 * `InvalidCredentialsCookie`). The cookie is `HttpOnly` all the same.
 */
export function boundCookieName(sessionCookieName: string): string {
  return `${sessionCookieName.replace(/^__Host-Http-/, '__Host-')}-bound`;
}

/** Sliding expiry writes at most this often: a tenth of the idle timeout, at most a minute. */
export function touchIntervalMs(idleTimeoutMs: number): number {
  return Math.min(60_000, idleTimeoutMs / 10);
}

/**
 * Name of the session cookie, after RFC 10017's rule for a BFF's cookie:
 * `__Host-Http-` wherever `Secure` is possible and the cookie is host-only;
 * `__Http-` when it names a parent `Domain`, which `__Host-` forbids. Both
 * prefixes make a browser accept the cookie only from a server's Set-Cookie
 * with HttpOnly and Secure, so a script can neither read nor plant it. Bare
 * over plain http, where no prefix can hold.
 */
export function sessionCookieName(secure: boolean, domain?: string): string {
  if (!secure) return 'sid';
  return domain ? '__Http-sid' : '__Host-Http-sid';
}

/** The session cookie's name for the shop at `shopOrigin` (secure where it is a secure context). */
export function provideSessionCookieName(
  shopOrigin: string,
  domain?: string,
): ValueProvider<string> {
  return {
    provide: SESSION_COOKIE_NAME,
    useValue: sessionCookieName(isSecureContextOrigin(shopOrigin), domain),
  };
}

const SESSION_UNKNOWN: AuthnResult = Object.freeze({
  kind: 'rejected',
  reason: 'session_unknown',
  tokenPresented: false,
});

/**
 * The session cookie: a random secret whose hash keys the session store.
 * Activity slides the idle deadline, writing to the store at most every
 * `touchIntervalMs` rather than on every request (lucia's session guide).
 */
@Injectable()
export class SessionCookieAuthenticator implements Authenticator {
  readonly name = 'session-cookie';
  private readonly logger = new Logger(SessionCookieAuthenticator.name);
  private readonly now: () => number;

  constructor(
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(SESSION_COOKIE_NAME) private readonly cookieName: string,
    @Optional() @Inject(CLOCK) clock?: Clock,
  ) {
    this.now = clock ? () => clock.now() : Date.now;
  }

  async authenticate(request: FastifyRequest): Promise<AuthnResult> {
    const secret = request.cookies[this.cookieName];
    if (secret === undefined || secret === '') return NOT_MINE;
    const session = await lookUpSession(request, secret, this.store, this.now(), this.logger);
    if (!session) return SESSION_UNKNOWN;
    return { kind: 'authenticated', identity: sessionIdentity(session, false) };
  }
}

/** The identity a live session stands for; `deviceBound` when its bound cookie was checked. */
export function sessionIdentity(session: SessionRecord, deviceBound: boolean): Identity {
  return {
    userId: session.userId,
    sessionId: session.handle,
    method: 'session',
    credential: 'session-cookie',
    expiresAt: sessionEndsAt(session),
    absoluteExpiresAt: session.expiresAt,
    csrfToken: session.csrfToken,
    amr: session.amr,
    authTime: session.authTime,
    ...(deviceBound ? { deviceBound } : {}),
  };
}

/** Each request's session lookup, shared by the authenticators that read it. */
const lookups = new WeakMap<
  FastifyRequest,
  { secret: string; session: Promise<SessionRecord | null> }
>();

/**
 * The live session the cookie's `secret` names, its idle deadline slid as
 * `touchIntervalMs` allows; read once per request however many
 * authenticators ask (the device-bound one, then the plain one).
 */
export function lookUpSession(
  request: FastifyRequest,
  secret: string,
  store: SessionStore,
  now: number,
  logger: Logger,
): Promise<SessionRecord | null> {
  const known = lookups.get(request);
  if (known?.secret === secret) return known.session;
  const session = findAndTouch(store, sha256Hex(secret), now, logger);
  lookups.set(request, { secret, session });
  return session;
}

async function findAndTouch(
  store: SessionStore,
  idHash: string,
  now: number,
  logger: Logger,
): Promise<SessionRecord | null> {
  const session = await failClosed(timed('sessions', 'find', store.find(idHash)), 'session store');
  if (!session || now - session.lastSeenAt < touchIntervalMs(session.idleTimeoutMs)) {
    return session;
  }
  try {
    await timed('sessions', 'touch', store.touch(idHash, now));
    return { ...session, lastSeenAt: now };
  } catch (error) {
    // The session was found; a missed slide only shortens it a little.
    logger.warn(`Could not record session activity: ${(error as Error).message}`);
    return session;
  }
}
