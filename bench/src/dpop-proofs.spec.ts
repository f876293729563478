import { createHash } from 'node:crypto';
import { generateKeyPair } from 'dpop';
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  exportJWK,
  jwtVerify,
} from 'jose';
import { DpopProofs } from './dpop-proofs';
import type { DpopKeyPair } from './dpop-proofs';

const HTU = 'http://shop.localhost:8080/api/cart';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';

describe(DpopProofs.name, () => {
  let keys: DpopKeyPair;

  beforeAll(async () => {
    keys = await generateKeyPair('ES256');
  });

  it('signs ES256 proofs by the key, for the token, method and URL, with the public key only', async () => {
    const proofs = new DpopProofs(keys, TOKEN, HTU);
    proofs.refill(1);
    const proof = proofs.next();
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: ['ES256'],
    });
    expect(payload).toMatchObject({
      htm: 'GET',
      htu: HTU,
      ath: createHash('sha256').update(TOKEN).digest('base64url'),
    });
    expect(payload.iat).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 1);
    expect(Object.keys(protectedHeader.jwk ?? {}).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(await calculateJwkThumbprint(protectedHeader.jwk ?? {})).toBe(
      await calculateJwkThumbprint(await exportJWK(keys.publicKey)),
    );
  });

  it('gives each proof once, with a jti of its own', () => {
    const proofs = new DpopProofs(keys, TOKEN, HTU);
    proofs.refill(50);
    const jtis = Array.from({ length: 50 }, () => {
      const [, payload] = proofs.next().split('.');
      return (JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as { jti: string })
        .jti;
    });
    expect(new Set(jtis).size).toBe(50);
    expect(jtis.every((jti) => jti.length >= 16)).toBe(true);
    expect(proofs.onDemand).toBe(0);
  });

  it('signs on demand and counts it when the pool runs dry, until the next refill', () => {
    const proofs = new DpopProofs(keys, TOKEN, HTU);
    proofs.refill(1);
    const first = proofs.next();
    const second = proofs.next();
    expect(second).not.toBe(first);
    expect(decodeProtectedHeader(second)).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
    expect(proofs.onDemand).toBe(1);
    proofs.refill(1);
    expect(proofs.onDemand).toBe(0);
  });
});
