import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Denylist } from '@svt/shared/data-access-sessions';
import { DENYLIST } from '@svt/shared/data-access-sessions';
import { AppError } from '@svt/shared/util-errors';
import type { AuthnResult, Authenticator } from '../authenticator';
import { NOT_MINE } from '../authenticator';
import { ACCESS_TOKEN_VERIFICATION } from '../authn.tokens';
import { DpopProofChecker } from '../dpop/dpop-proof-checker';
import type { JwtVerification } from '../verification/jwt-verification';
import { identityFromClaims } from '../verification/passport-jwt.verifier';
import type { TokenVerifier } from '../verification/token-verifier';
import { cachedJwtVerifier, unlessRevoked } from './jwt.authenticator';

/** RFC 9449 §7.1: `DPoP`, case-insensitive, one space, a `token68`. */
const DPOP_HEADER = /^DPoP [A-Za-z0-9._~+/-]+=*$/i;
const DPOP_SCHEME = /^DPoP(?: |$)/i;
const DPOP_PREFIX_LENGTH = 'DPoP '.length;

const rejected = (reason: 'token_invalid' | 'dpop_proof_invalid', error?: AppError): AuthnResult =>
  Object.freeze({ kind: 'rejected', reason, tokenPresented: true, ...(error ? { error } : {}) });

const MALFORMED = rejected('token_invalid');
const TOKEN_INVALID = rejected('token_invalid');
const UNBOUND = rejected(
  'token_invalid',
  new AppError(
    'invalid_token',
    'This access token is not bound to a key: send it as Authorization: Bearer.',
  ),
);

/** The token of `Authorization: DPoP <token>`; another scheme is not this authenticator's. */
function dpopToken(request: FastifyRequest): string | AuthnResult {
  const header = request.headers.authorization;
  if (header === undefined) return NOT_MINE;
  if (DPOP_HEADER.test(header)) return header.slice(DPOP_PREFIX_LENGTH);
  return DPOP_SCHEME.test(header) ? MALFORMED : NOT_MINE;
}

/**
 * `Authorization: DPoP <access token>` with `DPoP: <proof>` (RFC 9449 §7):
 * the access token as the Bearer authenticator verifies it (through its own
 * verified-token cache), bound by `cnf.jkt` to the key of a proof made for
 * this very request, whose `jti` no replica has seen; then the denylist.
 * A stolen token is useless without the key, which the browser cannot export.
 */
@Injectable()
export class DpopAuthenticator implements Authenticator {
  readonly name = 'dpop';
  private readonly verifier: TokenVerifier;

  constructor(
    @Inject(ACCESS_TOKEN_VERIFICATION) verification: JwtVerification,
    @Inject(DENYLIST) private readonly denylist: Denylist,
    private readonly proofs: DpopProofChecker,
  ) {
    this.verifier = cachedJwtVerifier('dpop', verification, (claims) =>
      identityFromClaims(claims, () => 'dpop', 'dpop'),
    );
  }

  async authenticate(request: FastifyRequest): Promise<AuthnResult> {
    const token = dpopToken(request);
    if (typeof token !== 'string') return token;
    const verified = await this.verifier.verify(token);
    if (!verified) return TOKEN_INVALID;
    const { identity } = verified;
    if (identity.boundKey === undefined) return UNBOUND;
    const proven = await this.proofs.check(request, 'resource', {
      accessToken: token,
      boundKey: identity.boundKey,
    });
    if (proven instanceof AppError) return rejected('dpop_proof_invalid', proven);
    return unlessRevoked(identity, this.denylist);
  }
}
