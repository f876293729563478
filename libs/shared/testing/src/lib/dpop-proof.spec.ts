import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, importJWK } from 'jose';
import {
  accessTokenHash,
  craftDpopProof,
  dpopHeaders,
  dpopProof,
  generateDpopKey,
  privateJwk,
} from './dpop-proof';
import type { DpopKey } from './dpop-proof';
import { decodeJwt } from './jwt';

let key: DpopKey;

beforeAll(async () => {
  key = await generateDpopKey();
});

describe(generateDpopKey.name, () => {
  it('makes a P-256 key whose public JWK has no private member and whose thumbprint is RFC 7638', async () => {
    expect(key.publicJwk).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: expect.any(String),
      y: expect.any(String),
    });
    expect(key.thumbprint).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'));
  });

  it('lets a test read the private JWK, with its d', async () => {
    expect(await privateJwk(key)).toEqual(expect.objectContaining({ d: expect.any(String) }));
  });
});

describe(accessTokenHash.name, () => {
  it('is base64url(SHA-256(token)) without padding', () => {
    const expected = createHash('sha256').update('abc').digest('base64url');
    expect(accessTokenHash('abc')).toBe(expected);
    expect(expected).not.toMatch(/[=+/]/);
  });
});

describe(dpopProof.name, () => {
  it('makes a dpop+jwt with the public jwk, htm, htu, iat, a jti and the ath of the token', async () => {
    const proof = await dpopProof(key, {
      htm: 'GET',
      htu: 'http://shop.localhost:1/api/me',
      accessToken: 'token',
    });

    const { header, payload } = decodeJwt(proof);
    expect(header).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk });
    expect(payload).toEqual(
      expect.objectContaining({
        htm: 'GET',
        htu: 'http://shop.localhost:1/api/me',
        ath: accessTokenHash('token'),
        jti: expect.any(String),
        iat: expect.any(Number),
      }),
    );
    await expect(compactVerify(proof, await importJWK(key.publicJwk, 'ES256'))).resolves.toEqual(
      expect.anything(),
    );
  });
});

describe(craftDpopProof.name, () => {
  it('signs the header and claims it is given, leaving out the undefined ones', async () => {
    const proof = await craftDpopProof(key, {
      htm: 'POST',
      htu: 'http://auth.localhost:1/auth/token',
      accessToken: 'token',
      header: { typ: 'JWT' },
      payload: { ath: undefined, iat: 1 },
    });

    const { header, payload } = decodeJwt(proof);
    expect(header).toEqual({ typ: 'JWT', alg: 'ES256', jwk: key.publicJwk });
    expect(payload).toEqual({
      jti: expect.any(String),
      htm: 'POST',
      htu: 'http://auth.localhost:1/auth/token',
      iat: 1,
    });
    await expect(compactVerify(proof, await importJWK(key.publicJwk, 'ES256'))).resolves.toEqual(
      expect.anything(),
    );
  });

  it('signs with an HMAC secret under alg HS256', async () => {
    const proof = await craftDpopProof(key, {
      htm: 'GET',
      htu: 'http://shop.localhost:1/api/me',
      secret: new TextEncoder().encode('a secret of thirty-two bytes....'),
    });

    expect(decodeJwt(proof).header['alg']).toBe('HS256');
  });
});

describe(dpopHeaders.name, () => {
  it('sends the token under the DPoP scheme', () => {
    expect(dpopHeaders('p', 't')).toEqual({ authorization: 'DPoP t', dpop: 'p' });
    expect(dpopHeaders('p')).toEqual({ dpop: 'p' });
  });
});
