import type { FastifyRequest } from 'fastify';
import passport from 'passport';
import { Logger } from '@nestjs/common';
import type { Denylist, SessionStore } from '@svt/shared/data-access-sessions';
import { sessionEndsAt } from '@svt/shared/data-access-sessions';
import { AppError, failClosed } from '@svt/shared/util-http';
import { sha256Hex } from '@svt/shared/util-security';
import type { AuthnResult, Authenticator } from './authenticator';
import { NOT_MINE } from './authenticator';
import { timed } from './authn.metrics';
import type { Identity } from './identity';
import {
  ACCESS_TOKEN_STRATEGY,
  IDENTITY_TOKEN_HEADER,
  IDENTITY_TOKEN_STRATEGY,
} from './jwt.strategies';
import type { VerifiedTokenCache } from './verified-token-cache';

/**
 * Runs a registered passport strategy on one request and reports its verdict
 * instead of letting passport answer: the pipeline, not the strategy, decides.
 */
function runStrategy(strategy: string, request: FastifyRequest): Promise<Identity | null> {
  return new Promise((resolve, reject) => {
    const middleware = passport.authenticate(
      strategy,
      { session: false },
      (error: unknown, user: Identity | false | undefined) => {
        if (error) reject(error);
        else resolve(user || null);
      },
    ) as (request: unknown, response: unknown, next: (error?: unknown) => void) => void;
    middleware(request, undefined, reject);
  });
}

type RevocationCheck = Pick<Denylist, 'isDenied' | 'isDeniedFromMemory'>;

const TOKEN_INVALID: AuthnResult = Object.freeze({
  kind: 'rejected',
  reason: 'token_invalid',
  tokenPresented: true,
});
const TOKEN_REVOKED: AuthnResult = Object.freeze({
  kind: 'rejected',
  reason: 'token_revoked',
  tokenPresented: true,
});

/**
 * The verdict on a verified token: refused when its session or family has
 * been revoked since it was issued. Answered from memory when the denylist
 * mirrors the revocations in this process (the steady state); otherwise asked
 * of the store, and an unreachable store fails closed.
 */
function unlessRevoked(
  identity: Identity | null,
  denylist: RevocationCheck,
): AuthnResult | Promise<AuthnResult> {
  if (!identity) return TOKEN_INVALID;
  const verdict = (denied: boolean): AuthnResult =>
    denied ? TOKEN_REVOKED : { kind: 'authenticated', identity };
  const known = denylist.isDeniedFromMemory?.(identity.sessionId);
  if (known !== undefined) return verdict(known);
  return failClosed(
    timed('denylist', 'isDenied', denylist.isDenied(identity.sessionId)),
    'revocation list',
  ).then(verdict);
}

/**
 * The identity `token` carries: from the cache when it passed verification
 * before, else from the passport strategy (which extracts the same string
 * from the request), remembered on success only.
 */
function verified(
  token: string,
  strategy: string,
  request: FastifyRequest,
  cache: VerifiedTokenCache,
): Identity | Promise<Identity | null> {
  const known = cache.get(token);
  if (known) return known;
  // Keys kept past their allowed age (AUTH unreachable for too long): fail
  // closed with a 503, not a 401 that would tell the client its token is bad.
  if (cache.keys.isStale?.()) {
    throw new AppError('store_unavailable', 'The keys that verify tokens could not be refreshed.');
  }
  return runStrategy(strategy, request).then((identity) => {
    if (identity) cache.set(token, identity);
    return identity;
  });
}

/** RFC 6750 §2.1 `b64token`, after a case-insensitive scheme. */
const BEARER_HEADER = /^Bearer [A-Za-z0-9._~+/-]+=*$/i;
const BEARER_PREFIX_LENGTH = 'Bearer '.length;

/**
 * `Authorization: Bearer <access token>`. Any other Authorization header is a
 * bad credential. A token verified before is answered from `cache`; the
 * denylist is asked on every request.
 */
export class BearerAuthenticator implements Authenticator {
  readonly name = 'bearer';

  constructor(
    private readonly denylist: RevocationCheck,
    private readonly cache: VerifiedTokenCache,
  ) {}

  async authenticate(request: FastifyRequest): Promise<AuthnResult> {
    const header = request.headers.authorization;
    if (header === undefined) return NOT_MINE;
    if (!BEARER_HEADER.test(header)) {
      return { kind: 'rejected', reason: 'malformed_authorization', tokenPresented: true };
    }
    const token = header.slice(BEARER_PREFIX_LENGTH);
    return unlessRevoked(
      await verified(token, ACCESS_TOKEN_STRATEGY, request, this.cache),
      this.denylist,
    );
  }
}

/**
 * The gateway's signed identity token, forwarded upstream in `X-Identity-Token`.
 * A token verified before is answered from `cache`; the denylist is asked on
 * every request.
 */
export class IdentityTokenAuthenticator implements Authenticator {
  readonly name = 'identity-token';

  constructor(
    private readonly denylist: RevocationCheck,
    private readonly cache: VerifiedTokenCache,
  ) {}

  async authenticate(request: FastifyRequest): Promise<AuthnResult> {
    const token = request.headers[IDENTITY_TOKEN_HEADER];
    if (token === undefined) return NOT_MINE;
    if (typeof token !== 'string') {
      return { kind: 'rejected', reason: 'token_invalid', tokenPresented: true };
    }
    return unlessRevoked(
      await verified(token, IDENTITY_TOKEN_STRATEGY, request, this.cache),
      this.denylist,
    );
  }
}

/** Sliding expiry writes at most this often: a tenth of the idle timeout, at most a minute. */
export function touchIntervalMs(idleTimeoutMs: number): number {
  return Math.min(60_000, idleTimeoutMs / 10);
}

/**
 * The session cookie: a random secret whose hash keys the session store.
 * Activity slides the idle deadline, writing to the store at most every
 * `touchIntervalMs` rather than on every request (lucia's session guide).
 */
export class SessionCookieAuthenticator implements Authenticator {
  readonly name = 'session-cookie';
  private readonly logger = new Logger(SessionCookieAuthenticator.name);

  constructor(
    private readonly store: SessionStore,
    private readonly cookieName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(request: FastifyRequest): Promise<AuthnResult> {
    const secret = request.cookies[this.cookieName];
    if (secret === undefined || secret === '') return NOT_MINE;
    const idHash = sha256Hex(secret);
    let session = await failClosed(
      timed('sessions', 'find', this.store.find(idHash)),
      'session store',
    );
    if (!session) return { kind: 'rejected', reason: 'session_unknown', tokenPresented: false };
    const now = this.now();
    if (now - session.lastSeenAt >= touchIntervalMs(session.idleTimeoutMs)) {
      try {
        await timed('sessions', 'touch', this.store.touch(idHash, now));
        session = { ...session, lastSeenAt: now };
      } catch (error) {
        // The session was found; a missed slide only shortens it a little.
        this.logger.warn(`Could not record session activity: ${(error as Error).message}`);
      }
    }
    return {
      kind: 'authenticated',
      identity: {
        userId: session.userId,
        sessionId: session.handle,
        method: 'session',
        credential: 'session-cookie',
        expiresAt: sessionEndsAt(session),
        absoluteExpiresAt: session.expiresAt,
        csrfToken: session.csrfToken,
      },
    };
  }
}

/**
 * Name of the session cookie (RFC 6265bis §4.1.3): `__Host-` wherever
 * `Secure` is possible and the cookie is host-only; `__Secure-` when it names
 * a parent `Domain`, which `__Host-` forbids; bare over plain http.
 */
export function sessionCookieName(secure: boolean, domain?: string): string {
  if (!secure) return 'sid';
  return domain ? '__Secure-sid' : '__Host-sid';
}
