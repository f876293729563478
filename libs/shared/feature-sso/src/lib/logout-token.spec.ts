import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createLocalJWKSet } from 'jose';
import type { JWK } from 'jose';
import { sign } from 'jsonwebtoken';
import type { SignOptions } from 'jsonwebtoken';
import { BACKCHANNEL_LOGOUT_EVENT, LogoutTokenVerifier } from './logout-token';

const ISSUER = 'http://auth.localhost:8081';
const NOW = Date.UTC(2026, 0, 1, 12);
const NOW_S = NOW / 1000;

const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

function jwk(key: KeyObject, kid: string, alg: string): JWK {
  return { ...(key.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' };
}

const verifier = new LogoutTokenVerifier(
  createLocalJWKSet({
    keys: [jwk(signing.publicKey, 'k1', 'ES256'), jwk(rsa.publicKey, 'r1', 'RS256')],
  }),
  { issuer: ISSUER, audience: 'cart', maxAgeSeconds: 120, clockToleranceSeconds: 30 },
  () => NOW,
);

const CLAIMS = {
  iss: ISSUER,
  aud: 'cart',
  iat: NOW_S,
  exp: NOW_S + 120,
  jti: 'jti-1',
  sub: 'user-1',
  sid: 'sid-1',
  events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
};

function logoutToken(
  claims: Record<string, unknown> = CLAIMS,
  options: Partial<SignOptions> = {},
  key: KeyObject = signing.privateKey,
): string {
  return sign(claims, key, {
    algorithm: 'ES256',
    keyid: 'k1',
    header: { alg: 'ES256', typ: 'logout+jwt' },
    ...options,
  });
}

function without(name: keyof typeof CLAIMS): Record<string, unknown> {
  const claims: Record<string, unknown> = { ...CLAIMS };
  delete claims[name];
  return claims;
}

describe(LogoutTokenVerifier.name, () => {
  describe('when AUTH sent a good logout token', () => {
    it('accepts it and gives the user, the session and the token id', async () => {
      await expect(verifier.verify(logoutToken())).resolves.toEqual({
        ok: true,
        claims: { sub: 'user-1', sid: 'sid-1', jti: 'jti-1', iat: NOW_S },
      });
    });

    it('accepts one without typ (it is only checked when present)', async () => {
      // jsonwebtoken writes typ JWT unless told otherwise.
      const token = logoutToken(CLAIMS, { header: { alg: 'ES256', typ: undefined } });
      await expect(verifier.verify(token)).resolves.toMatchObject({ ok: true });
    });

    it('accepts one issued a little in the future, within the clock tolerance', async () => {
      const token = logoutToken({ ...CLAIMS, iat: NOW_S + 20 });
      await expect(verifier.verify(token)).resolves.toMatchObject({ ok: true });
    });
  });

  describe('when the signature, the algorithm or the JWT claims are wrong', () => {
    it.each([
      ['signed by another key', () => logoutToken(CLAIMS, {}, stranger.privateKey)],
      [
        'signed with RS256 by a key AUTH publishes',
        () =>
          logoutToken(
            CLAIMS,
            { algorithm: 'RS256', keyid: 'r1', header: { alg: 'RS256', typ: 'logout+jwt' } },
            rsa.privateKey,
          ),
      ],
      ['from another issuer', () => logoutToken({ ...CLAIMS, iss: 'http://evil.example' })],
      ['for another client', () => logoutToken({ ...CLAIMS, aud: 'shop' })],
      ['expired', () => logoutToken({ ...CLAIMS, exp: NOW_S - 60 })],
    ])('refuses a token %s', async (_case, token) => {
      await expect(verifier.verify(token())).resolves.toEqual({
        ok: false,
        reason: 'signature_or_claims',
      });
    });

    it.each([
      ['not a string', 42],
      ['empty', ''],
      ['far too long', 'a'.repeat(10_000)],
    ])('refuses a token %s as malformed', async (_case, token) => {
      await expect(verifier.verify(token)).resolves.toEqual({ ok: false, reason: 'malformed' });
    });

    it('refuses garbage', async () => {
      await expect(verifier.verify('not.a.jwt')).resolves.toMatchObject({ ok: false });
    });
  });

  describe('when the logout claims are wrong', () => {
    it.each([
      ['an ID token typ', logoutToken(CLAIMS, { header: { alg: 'ES256', typ: 'JWT' } }), 'typ'],
      ['no iat', logoutToken(without('iat'), { noTimestamp: true }), 'iat'],
      ['an iat too old', logoutToken({ ...CLAIMS, iat: NOW_S - 600 }), 'iat'],
      ['an iat far in the future', logoutToken({ ...CLAIMS, iat: NOW_S + 600 }), 'iat'],
      ['no events', logoutToken(without('events')), 'events'],
      ['another event', logoutToken({ ...CLAIMS, events: { 'urn:other': {} } }), 'events'],
      [
        'the event as a string',
        logoutToken({ ...CLAIMS, events: { [BACKCHANNEL_LOGOUT_EVENT]: 'yes' } }),
        'events',
      ],
      ['a nonce (an ID token)', logoutToken({ ...CLAIMS, nonce: 'n' }), 'nonce'],
      ['no sid', logoutToken(without('sid')), 'sid'],
      ['an empty sid', logoutToken({ ...CLAIMS, sid: '' }), 'sid'],
      ['no sub', logoutToken(without('sub')), 'sub'],
      ['no jti', logoutToken(without('jti')), 'jti'],
    ])('refuses a token with %s', async (_case, token, reason) => {
      await expect(verifier.verify(token)).resolves.toEqual({ ok: false, reason });
    });
  });
});
