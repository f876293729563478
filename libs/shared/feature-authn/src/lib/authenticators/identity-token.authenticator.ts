import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Denylist } from '@svt/shared/data-access-sessions';
import { DENYLIST } from '@svt/shared/data-access-sessions';
import type { AuthnResult } from '../authenticator';
import { NOT_MINE } from '../authenticator';
import { IDENTITY_TOKEN_VERIFICATION } from '../authn.tokens';
import type { Identity, LoginMethod } from '../identity';
import type { JwtVerification, TokenClaims } from '../verification/jwt-verification';
import { hasRequiredClaims, PassportJwtVerifier } from '../verification/passport-jwt.verifier';
import { VerifiedTokenCache } from '../verification/verified-token-cache';
import { JwtAuthenticator } from './jwt.authenticator';

/** The header in which the gateway forwards the identity it verified. */
export const IDENTITY_TOKEN_HEADER = 'x-identity-token';

const REPEATED: AuthnResult = Object.freeze({
  kind: 'rejected',
  reason: 'token_invalid',
  tokenPresented: true,
});

function identityTokenOf(request: FastifyRequest): string | AuthnResult {
  const token = request.headers[IDENTITY_TOKEN_HEADER];
  if (token === undefined) return NOT_MINE;
  return typeof token === 'string' ? token : REPEATED;
}

function forwardedIdentity(claims: Partial<TokenClaims>): Identity | false {
  if (!hasRequiredClaims(claims)) return false;
  const method: LoginMethod = claims.amr?.includes('session') ? 'session' : 'bearer';
  return {
    userId: claims.sub,
    sessionId: claims.sid,
    method,
    credential: 'identity-token',
    expiresAt: claims.exp * 1000,
  };
}

/** The gateway's short-lived signed identity token, forwarded upstream in `X-Identity-Token`. */
@Injectable()
export class IdentityTokenAuthenticator extends JwtAuthenticator {
  constructor(
    @Inject(IDENTITY_TOKEN_VERIFICATION) verification: JwtVerification,
    @Inject(DENYLIST) denylist: Denylist,
  ) {
    super(
      'identity-token',
      identityTokenOf,
      new VerifiedTokenCache(
        new PassportJwtVerifier(verification, forwardedIdentity),
        verification.keys,
        { name: 'identity-token' },
      ),
      denylist,
    );
  }
}
