import type { KeyObject } from 'node:crypto';
import type { SecretOrKeyProvider, StrategyOptionsWithoutRequest } from 'passport-jwt';
import { Strategy as JwtStrategy } from 'passport-jwt';
import type { CredentialKind, Identity, LoginMethod } from '../identity';
import type { JwtVerification, TokenClaims } from './jwt-verification';
import { checkHeader, CLOCK_TOLERANCE_SECONDS } from './jwt-verification';
import type { TokenVerifier, VerifiedToken } from './token-verifier';

/** The identity a token's claims name, or `false` when one this system relies on is missing. */
export type ClaimsToIdentity = (claims: Partial<TokenClaims>) => Identity | false;

/** One verification: the token handed in, and the kid its header named. */
interface Attempt {
  readonly token: string;
  keyId?: string;
}

/** The callbacks passport gives a strategy for one request (passport's `authenticate` middleware). */
interface StrategyRun {
  success(identity: Identity): void;
  fail(): void;
  error(error: unknown): void;
  authenticate(attempt: Attempt): void;
}

/**
 * `TokenVerifier` on passport-jwt (and jsonwebtoken under it). The strategy is
 * this object's own instance, never registered with passport's global
 * registry, and each verification runs it as passport would: on a fresh
 * object whose `success`/`fail`/`error` settle a promise.
 *
 * The protected header is checked before any signature work (RFC 8725 §2.1,
 * §3.1), and the key is looked up by its kid in `verification.keys`.
 */
export class PassportJwtVerifier implements TokenVerifier {
  private readonly strategy: JwtStrategy;

  constructor(verification: JwtVerification, toIdentity: ClaimsToIdentity) {
    const options: StrategyOptionsWithoutRequest = {
      jwtFromRequest: ((attempt: Attempt) =>
        attempt.token) as StrategyOptionsWithoutRequest['jwtFromRequest'],
      algorithms: [verification.algorithm],
      issuer: verification.issuer,
      audience: verification.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: CLOCK_TOLERANCE_SECONDS },
      // jsonwebtoken accepts a KeyObject (imported once), though passport-jwt's types say string | Buffer.
      secretOrKeyProvider: ((
        attempt: Attempt,
        token: string,
        done: (error: unknown, key?: KeyObject) => void,
      ) => {
        const header = checkHeader(token, verification);
        if ('refused' in header) {
          done(new Error(header.refused));
          return;
        }
        attempt.keyId = header.kid;
        verification.keys.find(header.kid).then(
          (key) => (key ? done(null, key) : done(new Error('unknown kid'))),
          (error: unknown) => done(error),
        );
      }) as unknown as SecretOrKeyProvider,
    };
    this.strategy = new JwtStrategy(options, (claims: Partial<TokenClaims>, done) =>
      done(null, toIdentity(claims)),
    );
  }

  verify(token: string): Promise<VerifiedToken | null> {
    return new Promise((resolve, reject) => {
      const attempt: Attempt = { token };
      const run = Object.create(this.strategy) as StrategyRun;
      run.success = (identity) => resolve({ identity, keyId: attempt.keyId ?? '' });
      run.fail = () => resolve(null);
      run.error = reject;
      run.authenticate(attempt);
    });
  }
}

/**
 * The identity a token's claims name, when every claim this system relies on
 * is there; `false` otherwise.
 */
export function identityFromClaims(
  claims: Partial<TokenClaims>,
  method: (claims: TokenClaims) => LoginMethod,
  credential: CredentialKind,
): Identity | false {
  if (!hasRequiredClaims(claims)) return false;
  const boundKey = claims.cnf?.jkt;
  // A confirmation this system cannot honour makes the token unusable, never unbound.
  if (claims.cnf !== undefined && (typeof boundKey !== 'string' || boundKey.length === 0)) {
    return false;
  }
  return {
    userId: claims.sub,
    sessionId: claims.sid,
    method: method(claims),
    credential,
    expiresAt: claims.exp * 1000,
    ...(typeof boundKey === 'string' ? { boundKey } : {}),
    // Access tokens say how and when the user authenticated; identity tokens
    // (no auth_time) use amr for the gateway's login method instead.
    ...(typeof claims.auth_time === 'number' && Number.isFinite(claims.auth_time)
      ? {
          amr: Array.isArray(claims.amr)
            ? claims.amr.filter((method): method is string => typeof method === 'string')
            : ['pwd'],
          authTime: claims.auth_time * 1000,
        }
      : {}),
  };
}

/**
 * Every claim this system relies on is present, and the token was not issued
 * in the future (jsonwebtoken checks `exp` and `nbf`, not `iat`).
 */
export function hasRequiredClaims(claims: Partial<TokenClaims>): claims is TokenClaims {
  return (
    typeof claims.sub === 'string' &&
    typeof claims.sid === 'string' &&
    typeof claims.jti === 'string' &&
    typeof claims.iat === 'number' &&
    typeof claims.exp === 'number' &&
    claims.iat <= Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS
  );
}
