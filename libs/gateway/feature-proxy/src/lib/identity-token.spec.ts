import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { verify } from 'jsonwebtoken';
import { IDENTITY_TOKEN_TYPE } from '@svt/shared/feature-authn';
import { loadOrCreateIdentityKey } from './identity-key';
import { IdentityTokenSigner } from './identity-token.signer';

describe(loadOrCreateIdentityKey.name, () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-gateway-key-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates a key on first start and loads the same one afterwards', async () => {
    const file = join(dir, 'nested', 'key.pem');
    const first = await loadOrCreateIdentityKey(file);
    const second = await loadOrCreateIdentityKey(file);
    expect(second.kid).toBe(first.kid);
  });

  it('ends with one key when several gateways start at once', async () => {
    const file = join(dir, 'key.pem');
    const keys = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateIdentityKey(file)));
    expect(new Set(keys.map((key) => key.kid)).size).toBe(1);
  });

  it('publishes only the public half', async () => {
    const { jwk } = await loadOrCreateIdentityKey(join(dir, 'key.pem'));
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });
});

describe(IdentityTokenSigner.name, () => {
  it('signs a short-lived token of its own type, for one audience, with ids only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'svt-gateway-key-'));
    const key = await loadOrCreateIdentityKey(join(dir, 'key.pem'));
    const signer = new IdentityTokenSigner(key, 'http://shop.localhost:8080', 60);
    const token = signer.sign(
      {
        userId: 'u1',
        sessionId: 's1',
        method: 'session',
        credential: 'session-cookie',
        expiresAt: 0,
      },
      'http://cart.localhost:8082',
    );
    const { header, payload } = verify(token, createPublicKey(key.privateKey), {
      complete: true,
      algorithms: ['ES256'],
      audience: 'http://cart.localhost:8082',
      issuer: 'http://shop.localhost:8080',
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
    expect(payload).toMatchObject({ sub: 'u1', sid: 's1', amr: ['session'] });
    expect(Number(payload['exp']) - Number(payload['iat'])).toBe(60);
    await rm(dir, { recursive: true, force: true });
  });
});
