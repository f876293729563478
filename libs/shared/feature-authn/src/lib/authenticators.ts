import type { FastifyRequest } from 'fastify';
import passport from 'passport';
import type { SessionStore } from '@svt/shared/data-access-sessions';
import { AppError } from '@svt/shared/util-http';
import { sha256Hex } from '@svt/shared/util-security';
import type { AuthnResult, Authenticator } from './authenticator';
import { NOT_MINE } from './authenticator';
import type { Identity } from './identity';
import {
  ACCESS_TOKEN_STRATEGY,
  IDENTITY_TOKEN_HEADER,
  IDENTITY_TOKEN_STRATEGY,
} from './jwt.strategies';

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

/** `Authorization: Bearer <access token>`. Any other Authorization header is a bad credential. */
export class BearerAuthenticator implements Authenticator {
  readonly name = 'bearer';

  async authenticate(request: FastifyRequest): Promise<AuthnResult> {
    const header = request.headers.authorization;
    if (header === undefined) return NOT_MINE;
    if (!/^Bearer [A-Za-z0-9._~+/-]+=*$/i.test(header)) {
      return { kind: 'rejected', reason: 'malformed_authorization', tokenPresented: true };
    }
    const identity = await runStrategy(ACCESS_TOKEN_STRATEGY, request);
    return identity
      ? { kind: 'authenticated', identity }
      : { kind: 'rejected', reason: 'token_invalid', tokenPresented: true };
  }
}

/** The gateway's signed identity token, forwarded upstream in `X-Identity-Token`. */
export class IdentityTokenAuthenticator implements Authenticator {
  readonly name = 'identity-token';

  async authenticate(request: FastifyRequest): Promise<AuthnResult> {
    if (request.headers[IDENTITY_TOKEN_HEADER] === undefined) return NOT_MINE;
    const identity = await runStrategy(IDENTITY_TOKEN_STRATEGY, request);
    return identity
      ? { kind: 'authenticated', identity }
      : { kind: 'rejected', reason: 'token_invalid', tokenPresented: true };
  }
}

/** The session cookie: a random secret whose hash keys the session store. */
export class SessionCookieAuthenticator implements Authenticator {
  readonly name = 'session-cookie';

  constructor(
    private readonly store: SessionStore,
    private readonly cookieName: string,
  ) {}

  async authenticate(request: FastifyRequest): Promise<AuthnResult> {
    const secret = request.cookies[this.cookieName];
    if (secret === undefined || secret === '') return NOT_MINE;
    let session;
    try {
      session = await this.store.find(sha256Hex(secret));
    } catch (error) {
      // Fail closed: an unreachable store authenticates nobody.
      throw new AppError('store_unavailable', 'The session store is unavailable.', {
        cause: error,
      });
    }
    if (!session) return { kind: 'rejected', reason: 'session_unknown', tokenPresented: false };
    return {
      kind: 'authenticated',
      identity: {
        userId: session.userId,
        sessionId: session.handle,
        method: 'session',
        credential: 'session-cookie',
        expiresAt: session.expiresAt,
        csrfToken: session.csrfToken,
      },
    };
  }
}

/** Name of the session cookie: `__Host-` wherever `Secure` is possible (RFC 6265bis §4.1.3.2). */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-sid' : 'sid';
}
