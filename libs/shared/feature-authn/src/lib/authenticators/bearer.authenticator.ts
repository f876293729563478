import { Inject, Injectable, Optional } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Denylist } from '@svt/shared/data-access-sessions';
import { DENYLIST } from '@svt/shared/data-access-sessions';
import { AppError } from '@svt/shared/util-errors';
import type { AuthnResult } from '../authenticator';
import { NOT_MINE } from '../authenticator';
import { ACCESS_TOKEN_VERIFICATION } from '../authn.tokens';
import type { DpopOptions } from '../dpop/dpop.options';
import { DPOP_OPTIONS } from '../dpop/dpop.options';
import type { JwtVerification } from '../verification/jwt-verification';
import { identityFromClaims } from '../verification/passport-jwt.verifier';
import { cachedJwtVerifier, JwtAuthenticator } from './jwt.authenticator';

/** RFC 6750 §2.1: `Bearer`, case-insensitive, one space, a `b64token`. */
const BEARER_HEADER = /^Bearer [A-Za-z0-9._~+/-]+=*$/i;
/** The Bearer scheme, whatever follows it. */
const BEARER_SCHEME = /^Bearer(?: |$)/i;
const BEARER_PREFIX_LENGTH = 'Bearer '.length;

const MALFORMED: AuthnResult = Object.freeze({
  kind: 'rejected',
  reason: 'malformed_authorization',
  tokenPresented: true,
});

/**
 * The token of `Authorization: Bearer <token>`. Another scheme is not this
 * authenticator's (a later one may claim it); the Bearer scheme with no
 * well-formed token after it is refused.
 */
export function bearerToken(request: FastifyRequest): string | AuthnResult {
  const header = request.headers.authorization;
  if (header === undefined) return NOT_MINE;
  // One test on the hot path (a well-formed header); the scheme alone only to tell the rest apart.
  if (BEARER_HEADER.test(header)) return header.slice(BEARER_PREFIX_LENGTH);
  return BEARER_SCHEME.test(header) ? MALFORMED : NOT_MINE;
}

/** RFC 9449 §7.2: a token bound to a key is not a bearer token, whoever presents it. */
const DOWNGRADE: AuthnResult = Object.freeze({
  kind: 'rejected',
  reason: 'token_bound',
  tokenPresented: true,
  error: new AppError(
    'invalid_token',
    'This access token is bound to a key: send it as Authorization: DPoP, with a proof in the DPoP header.',
  ),
});

const BEARER_REFUSED: AuthnResult = Object.freeze({
  kind: 'rejected',
  reason: 'bearer_refused',
  tokenPresented: true,
  error: new AppError(
    'invalid_token',
    'This service accepts only DPoP-bound access tokens: log in with a DPoP proof.',
  ),
});

/**
 * `Authorization: Bearer <access token>`, an RFC 9068 JWT issued by the auth
 * service, unbound: a token bound to a DPoP key is refused here (a
 * downgrade), and every one is with DPOP_REQUIRED.
 */
@Injectable()
export class BearerAuthenticator extends JwtAuthenticator {
  private readonly bearerRefused: boolean;

  constructor(
    @Inject(ACCESS_TOKEN_VERIFICATION) verification: JwtVerification,
    @Inject(DENYLIST) denylist: Denylist,
    @Optional() @Inject(DPOP_OPTIONS) dpop?: DpopOptions,
  ) {
    const verifier = cachedJwtVerifier('bearer', verification, (claims) =>
      identityFromClaims(claims, () => 'bearer', 'bearer'),
    );
    super('bearer', bearerToken, verifier, denylist);
    this.bearerRefused = dpop?.required ?? false;
  }

  override async authenticate(request: FastifyRequest): Promise<AuthnResult> {
    if (this.bearerRefused) {
      const token = bearerToken(request);
      return typeof token === 'string' ? BEARER_REFUSED : token;
    }
    const result = await super.authenticate(request);
    return result.kind === 'authenticated' && result.identity.boundKey !== undefined
      ? DOWNGRADE
      : result;
  }
}
