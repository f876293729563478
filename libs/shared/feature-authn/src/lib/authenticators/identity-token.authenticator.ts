import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Denylist } from '@svt/shared/data-access-sessions';
import { DENYLIST } from '@svt/shared/data-access-sessions';
import type { AuthnResult } from '../authenticator';
import { NOT_MINE } from '../authenticator';
import { IDENTITY_TOKEN_VERIFICATION } from '../authn.tokens';
import type { LoginMethod } from '../identity';
import type { JwtVerification } from '../verification/jwt-verification';
import { identityFromClaims } from '../verification/passport-jwt.verifier';
import { cachedJwtVerifier, JwtAuthenticator } from './jwt.authenticator';

/** The `amr` value of an identity token for a session bound to a device key (RFC 8176 `pop`). */
export const DEVICE_BOUND_AMR = 'pop';

/** The header in which the gateway forwards the identity it verified. */
export const IDENTITY_TOKEN_HEADER = 'x-identity-token';

const REPEATED: AuthnResult = Object.freeze({
  kind: 'rejected',
  reason: 'token_invalid',
  tokenPresented: true,
});

/** The login method the gateway put in `amr`; a token login unless it says otherwise. */
function loginMethodOf(amr: readonly string[] | undefined): LoginMethod {
  if (amr?.includes('session')) return 'session';
  return amr?.includes('dpop') ? 'dpop' : 'bearer';
}

function identityTokenOf(request: FastifyRequest): string | AuthnResult {
  const token = request.headers[IDENTITY_TOKEN_HEADER];
  if (token === undefined) return NOT_MINE;
  return typeof token === 'string' ? token : REPEATED;
}

/** The gateway's short-lived signed identity token, forwarded upstream in `X-Identity-Token`. */
@Injectable()
export class IdentityTokenAuthenticator extends JwtAuthenticator {
  constructor(
    @Inject(IDENTITY_TOKEN_VERIFICATION) verification: JwtVerification,
    @Inject(DENYLIST) denylist: Denylist,
  ) {
    // `amr` says how the user logged in at the gateway, and `pop` (RFC 8176,
    // proof of possession of a key) that the session's device key was checked.
    const verifier = cachedJwtVerifier('identity-token', verification, (claims) => {
      const identity = identityFromClaims(
        claims,
        ({ amr }) => loginMethodOf(amr),
        'identity-token',
      );
      return identity && claims.amr?.includes(DEVICE_BOUND_AMR)
        ? { ...identity, deviceBound: true }
        : identity;
    });
    super('identity-token', identityTokenOf, verifier, denylist);
  }
}
