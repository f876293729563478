import { generateKeyPairSync } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import passport from 'passport';
import type { JwtVerification } from './jwt-verification';
import { ACCESS_TOKEN_TYPE } from './jwt-verification';
import {
  hasRequiredClaims,
  identityFromClaims,
  PassportJwtVerifier,
} from './passport-jwt.verifier';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const verification: JwtVerification = {
  issuer: 'http://issuer.localhost',
  audience: 'http://audience.localhost',
  type: ACCESS_TOKEN_TYPE,
  algorithm: 'ES256',
  keys: {
    find: async (kid) => (kid === 'k1' ? publicKey : null),
    has: (kid) => kid === 'k1',
    isReady: () => true,
  },
};
const now = Math.floor(Date.now() / 1000);
const claims = { sub: 'u1', sid: 's1', jti: 'j1', iat: now, exp: now + 60 };

function mint(kid = 'k1', typ = ACCESS_TOKEN_TYPE): string {
  return sign({ iss: verification.issuer, aud: verification.audience, ...claims }, privateKey, {
    algorithm: 'ES256',
    keyid: kid,
    header: { alg: 'ES256', typ },
  });
}

const verifier = (): PassportJwtVerifier =>
  new PassportJwtVerifier(
    verification,
    (c) =>
      hasRequiredClaims(c) && {
        userId: c.sub,
        sessionId: c.sid,
        method: 'bearer',
        credential: 'bearer',
        expiresAt: c.exp * 1000,
      },
  );

describe(PassportJwtVerifier.name, () => {
  it('registers nothing with passport: the strategy is its own', () => {
    const use = jest.spyOn(passport, 'use');
    verifier();
    expect(use).not.toHaveBeenCalled();
    use.mockRestore();
  });

  it('answers the identity and the kid of a good token', async () => {
    await expect(verifier().verify(mint())).resolves.toEqual({
      identity: expect.objectContaining({ userId: 'u1', sessionId: 's1' }),
      keyId: 'k1',
    });
  });

  it.each([
    ['an unknown kid', mint('k2')],
    ['another token type', mint('k1', 'identity+jwt')],
    ['a token that is no JWT', 'not.a.jwt'],
  ])('answers null for %s', async (_case, token) => {
    await expect(verifier().verify(token)).resolves.toBeNull();
  });
});

describe('identityFromClaims', () => {
  const claims = {
    iss: 'http://auth.localhost:8081',
    aud: 'svt-api',
    sub: 'user-1',
    sid: 'family-1',
    jti: 'jti-1',
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 600,
  };

  it("takes how the user authenticated from an access token's amr and auth_time (RFC 9068 §2.2.1)", () => {
    const identity = identityFromClaims(
      { ...claims, amr: ['pwd', 'otp'], acr: 'aal2', auth_time: 1_800_000_000 },
      () => 'bearer',
      'bearer',
    );

    expect(identity).toMatchObject({ amr: ['pwd', 'otp'], authTime: 1_800_000_000_000 });
  });

  it('says nothing of it for a token without auth_time (an identity token, whose amr is the login method)', () => {
    const identity = identityFromClaims(
      { ...claims, amr: ['session'] },
      () => 'session',
      'identity-token',
    );

    expect(identity).not.toHaveProperty('amr');
    expect(identity).not.toHaveProperty('authTime');
  });
});
