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

/** RFC 6750 §2.1: the scheme, case-insensitive, then one space. */
const BEARER_SCHEME = /^Bearer(?: |$)/i;
/** RFC 6750 §2.1 `b64token`. */
const B64TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;
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
  if (header === undefined || !BEARER_SCHEME.test(header)) return NOT_MINE;
  const token = header.slice(BEARER_PREFIX_LENGTH);
  return B64TOKEN.test(token) ? token : MALFORMED;
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
