import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { decode, verify } from 'jsonwebtoken';
import type { Identity } from '@svt/shared/feature-authn';
import { IDENTITY_TOKEN_TYPE } from '@svt/shared/feature-authn';
import type { SigningKey } from '@svt/shared/util-security';
import { loadOrCreateSigningKey } from '@svt/shared/util-security';
import { IdentityTokenSigner } from './identity-token.signer';

describe(IdentityTokenSigner.name, () => {
  const SHOP = 'http://shop.localhost:8080';
  const CART = 'http://cart.localhost:8082';
  const START = 1_800_000_000_000;
  let dir: string;
  let key: SigningKey;
  let clock: { at: number };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-gateway-key-'));
    key = await loadOrCreateSigningKey(join(dir, 'key.pem'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  beforeEach(() => {
    clock = { at: START };
  });

  const alice: Identity = {
    userId: 'u1',
    sessionId: 's1',
    method: 'session',
    credential: 'session-cookie',
    expiresAt: START + 3_600_000,
  };
  const signer = (maxEntries?: number): IdentityTokenSigner =>
    new IdentityTokenSigner(key, SHOP, 60, { now: () => clock.at, maxEntries });
  const claims = (token: string): { jti: string; iat: number; exp: number } =>
    decode(token, { json: true }) as unknown as { jti: string; iat: number; exp: number };

  it('signs a short-lived token of its own type, for one audience, with ids only', () => {
    const token = signer().sign(alice, CART);
    const { header, payload } = verify(token, createPublicKey(key.privateKey), {
      complete: true,
      algorithms: ['ES256'],
      audience: CART,
      issuer: SHOP,
      clockTimestamp: START / 1000,
    }) as unknown as { header: Record<string, unknown>; payload: Record<string, unknown> };
    expect(header).toMatchObject({ alg: 'ES256', typ: IDENTITY_TOKEN_TYPE, kid: key.kid });
    expect(Object.keys(payload).sort()).toEqual([
      'amr',
      'aud',
      'exp',
      'iat',
      'iss',
      'jti',
      'sid',
      'sub',
    ]);
    expect(payload).toMatchObject({ sub: 'u1', sid: 's1', amr: ['session'], iat: START / 1000 });
    expect(Number(payload['exp']) - Number(payload['iat'])).toBe(60);
  });

  it("says a device-bound session's key was checked with `pop` in amr, and signs it apart from the unbound one", () => {
    const bound = { ...alice, deviceBound: true };
    const tokens = signer();

    const unboundToken = tokens.sign(alice, CART);
    const boundToken = tokens.sign(bound, CART);

    expect(decode(unboundToken, { json: true })?.['amr']).toEqual(['session']);
    expect(decode(boundToken, { json: true })?.['amr']).toEqual(['session', 'pop']);
    expect(tokens.sign(bound, CART)).toBe(boundToken);
  });

  describe('reuse', () => {
    it('answers the same token for the same identity and audience', () => {
      const gateway = signer();
      expect(gateway.sign(alice, CART)).toBe(gateway.sign({ ...alice }, CART));
    });

    it.each<[string, Identity, string]>([
      ['another session', { ...alice, sessionId: 's2' }, CART],
      ['another login method', { ...alice, method: 'bearer', credential: 'bearer' }, CART],
      ['another user', { ...alice, userId: 'u2' }, CART],
      ['another audience', alice, 'http://other.localhost:8083'],
    ])('signs a token of its own for %s', (_case, identity, audience) => {
      const gateway = signer();
      const first = gateway.sign(alice, CART);
      const other = gateway.sign(identity, audience);
      expect(other).not.toBe(first);
      expect(claims(other).jti).not.toBe(claims(first).jti);
    });

    it('reuses a token while half its lifetime remains, then signs a new one', () => {
      const gateway = signer();
      const first = gateway.sign(alice, CART);
      clock.at = START + 30_000;
      expect(gateway.sign(alice, CART)).toBe(first);
      clock.at = START + 30_001;
      const renewed = gateway.sign(alice, CART);
      expect(claims(renewed).jti).not.toBe(claims(first).jti);
      expect(claims(renewed)).toMatchObject({ iat: START / 1000 + 30, exp: START / 1000 + 90 });
    });
  });

  describe('when the credential expires sooner than the TTL', () => {
    const shortLived: Identity = { ...alice, expiresAt: START + 20_500 };

    it('caps exp to the whole second before the credential ends', () => {
      expect(claims(signer().sign(shortLived, CART)).exp).toBe(START / 1000 + 20);
    });

    it('reuses the token only while half of its capped lifetime remains', () => {
      const gateway = signer();
      const first = gateway.sign(shortLived, CART);
      clock.at = START + 10_000;
      expect(gateway.sign(shortLived, CART)).toBe(first);
      clock.at = START + 10_001;
      expect(gateway.sign(shortLived, CART)).not.toBe(first);
    });

    it('signs without caching when less than a second would remain', () => {
      const gateway = signer();
      const ending: Identity = { ...alice, expiresAt: START + 900 };
      const first = gateway.sign(ending, CART);
      expect(claims(first).exp).toBe(START / 1000);
      expect(gateway.sign(ending, CART)).not.toBe(first);
    });

    it('does not hand out a cached token that outlives the credential presented now', () => {
      const gateway = signer();
      gateway.sign(alice, CART);
      clock.at = START + 1_000;
      const older = gateway.sign({ ...alice, expiresAt: START + 10_000 }, CART);
      expect(claims(older).exp).toBe(START / 1000 + 10);
    });
  });

  describe('bounds', () => {
    it('keeps at most maxEntries tokens, forgetting the oldest first', () => {
      const gateway = signer(2);
      const [a, b, c] = ['s1', 's2', 's3'].map((sessionId) =>
        gateway.sign({ ...alice, sessionId }, CART),
      );
      expect(gateway.sign({ ...alice, sessionId: 's2' }, CART)).toBe(b);
      expect(gateway.sign({ ...alice, sessionId: 's3' }, CART)).toBe(c);
      expect(gateway.sign({ ...alice, sessionId: 's1' }, CART)).not.toBe(a);
    });

    it.each([0, -1, 2.5])('refuses %p as maxEntries with a TypeError', (maxEntries) => {
      expect(() => signer(maxEntries)).toThrow(TypeError);
    });
  });
});
