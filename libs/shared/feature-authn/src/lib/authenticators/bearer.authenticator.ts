import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Denylist } from '@svt/shared/data-access-sessions';
import { DENYLIST } from '@svt/shared/data-access-sessions';
import type { AuthnResult } from '../authenticator';
import { NOT_MINE } from '../authenticator';
import { ACCESS_TOKEN_VERIFICATION } from '../authn.tokens';
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

/** `Authorization: Bearer <access token>`, an RFC 9068 JWT issued by the auth service. */
@Injectable()
export class BearerAuthenticator extends JwtAuthenticator {
  constructor(
    @Inject(ACCESS_TOKEN_VERIFICATION) verification: JwtVerification,
    @Inject(DENYLIST) denylist: Denylist,
  ) {
    const verifier = cachedJwtVerifier('bearer', verification, (claims) =>
      identityFromClaims(claims, () => 'bearer', 'bearer'),
    );
    super('bearer', bearerToken, verifier, denylist);
  }
}
