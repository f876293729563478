import type { FastifyRequest } from 'fastify';
import type { Denylist } from '@svt/shared/data-access-sessions';
import { failClosed } from '@svt/shared/util-http';
import type { AuthnResult, Authenticator } from '../authenticator';
import { timed } from '../authn.metrics';
import type { Identity } from '../identity';
import type { JwtVerification } from '../verification/jwt-verification';
import type { ClaimsToIdentity } from '../verification/passport-jwt.verifier';
import { PassportJwtVerifier } from '../verification/passport-jwt.verifier';
import type { TokenVerifier } from '../verification/token-verifier';
import { VerifiedTokenCache } from '../verification/verified-token-cache';

/**
 * Finds a token in a request: the token, or the answer when there is none of
 * this kind (`NOT_MINE`) or it is malformed (a rejection).
 */
export type TokenExtractor = (request: FastifyRequest) => string | AuthnResult;

export type RevocationCheck = Pick<Denylist, 'isDenied' | 'isDeniedFromMemory'>;

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
 * A JWT carried somewhere in the request: extracted once, verified (through
 * the verified-token cache, in this system), then checked against the
 * denylist on every request, hit or miss. The bearer access token and the
 * gateway's identity token are two of these.
 */
export class JwtAuthenticator implements Authenticator {
  constructor(
    readonly name: string,
    private readonly extract: TokenExtractor,
    private readonly verifier: TokenVerifier,
    private readonly denylist: RevocationCheck,
  ) {}

  async authenticate(request: FastifyRequest): Promise<AuthnResult> {
    const token = this.extract(request);
    if (typeof token !== 'string') return token;
    const verified = await this.verifier.verify(token);
    return verified ? unlessRevoked(verified.identity, this.denylist) : TOKEN_INVALID;
  }
}

/**
 * The verifier of this system's JWTs: passport-jwt behind a verified-token
 * cache, whose hits and misses are counted under `name`.
 */
export function cachedJwtVerifier(
  name: string,
  verification: JwtVerification,
  toIdentity: ClaimsToIdentity,
): TokenVerifier {
  return new VerifiedTokenCache(
    new PassportJwtVerifier(verification, toIdentity),
    verification.keys,
    { name, maxEntries: verification.cacheSize },
  );
}

/**
 * The verdict on a verified token: refused when its session or family has
 * been revoked since it was issued. Answered from memory when the denylist
 * mirrors the revocations in this process (the steady state); otherwise asked
 * of the store, and an unreachable store fails closed.
 */
export function unlessRevoked(
  identity: Identity,
  denylist: RevocationCheck,
): AuthnResult | Promise<AuthnResult> {
  const verdict = (denied: boolean): AuthnResult =>
    denied ? TOKEN_REVOKED : { kind: 'authenticated', identity };
  const known = denylist.isDeniedFromMemory?.(identity.sessionId);
  if (known !== undefined) return verdict(known);
  return failClosed(
    timed('denylist', 'isDenied', denylist.isDenied(identity.sessionId)),
    'revocation list',
  ).then(verdict);
}
