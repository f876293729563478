import type { KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { SecretOrKeyProvider, StrategyOptionsWithoutRequest } from 'passport-jwt';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Identity, LoginMethod } from './identity';
import type { JwtVerification, TokenClaims } from './jwt-verification';
import { checkHeader, CLOCK_TOLERANCE_SECONDS } from './jwt-verification';

export const ACCESS_TOKEN_STRATEGY = 'access-token';
export const IDENTITY_TOKEN_STRATEGY = 'identity-token';

/** The header in which the gateway forwards the identity it verified. */
export const IDENTITY_TOKEN_HEADER = 'x-identity-token';

function strategyOptions(
  verification: JwtVerification,
  jwtFromRequest: (request: FastifyRequest) => string | null,
): StrategyOptionsWithoutRequest {
  return {
    jwtFromRequest: jwtFromRequest as StrategyOptionsWithoutRequest['jwtFromRequest'],
    algorithms: [verification.algorithm],
    issuer: verification.issuer,
    audience: verification.audience,
    ignoreExpiration: false,
    jsonWebTokenOptions: { clockTolerance: CLOCK_TOLERANCE_SECONDS },
    // jsonwebtoken accepts a KeyObject (imported once), though passport-jwt's types say string | Buffer.
    secretOrKeyProvider: ((
      _request: unknown,
      rawToken: string,
      done: (error: unknown, key?: KeyObject) => void,
    ) => {
      const header = checkHeader(rawToken, verification);
      if ('refused' in header) {
        done(new Error(header.refused));
        return;
      }
      verification.keys.find(header.kid).then(
        (key) => (key ? done(null, key) : done(new Error('unknown kid'))),
        (error: unknown) => done(error),
      );
    }) as unknown as SecretOrKeyProvider,
  };
}

/**
 * Every claim this system relies on is present, and the token was not issued
 * in the future (jsonwebtoken checks `exp` and `nbf`, not `iat`).
 */
function hasRequiredClaims(claims: Partial<TokenClaims>): claims is TokenClaims {
  return (
    typeof claims.sub === 'string' &&
    typeof claims.sid === 'string' &&
    typeof claims.jti === 'string' &&
    typeof claims.iat === 'number' &&
    typeof claims.exp === 'number' &&
    claims.iat <= Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS
  );
}

/** Verifies `Authorization: Bearer` access tokens issued by the auth service. */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(Strategy, ACCESS_TOKEN_STRATEGY) {
  constructor(verification: JwtVerification) {
    super(strategyOptions(verification, ExtractJwt.fromAuthHeaderAsBearerToken()));
  }

  validate(claims: Partial<TokenClaims>): Identity | false {
    if (!hasRequiredClaims(claims)) return false;
    return {
      userId: claims.sub,
      sessionId: claims.sid,
      method: 'bearer',
      credential: 'bearer',
      expiresAt: claims.exp * 1000,
    };
  }
}

/** Verifies the short-lived identity token that the gateway forwards upstream. */
@Injectable()
export class IdentityTokenStrategy extends PassportStrategy(Strategy, IDENTITY_TOKEN_STRATEGY) {
  constructor(verification: JwtVerification) {
    super(strategyOptions(verification, ExtractJwt.fromHeader(IDENTITY_TOKEN_HEADER)));
  }

  validate(claims: Partial<TokenClaims>): Identity | false {
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
}
