import { createPublicKey, verify } from 'node:crypto';
import { decodeJwt, epochSeconds, generateEs256Key, signEs256Jwt } from './jwt';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe(decodeJwt.name, () => {
  describe('when given a compact JWS', () => {
    it('returns the decoded header and payload without verifying', () => {
      const token = `${b64url({ alg: 'ES256', kid: 'k1' })}.${b64url({ sub: 'u1', n: 1 })}.not-checked`;
      expect(decodeJwt(token)).toEqual({
        header: { alg: 'ES256', kid: 'k1' },
        payload: { sub: 'u1', n: 1 },
        signature: 'not-checked',
      });
    });

    it('decodes UTF-8 in the payload', () => {
      const token = `${b64url({})}.${b64url({ name: 'Zoë ✓' })}.`;
      expect(decodeJwt(token).payload).toEqual({ name: 'Zoë ✓' });
    });
  });

  describe('when the input is not a JWT', () => {
    it.each([
      ['two segments', 'a.b'],
      ['an opaque token', 'T0pSeCrEt'],
      ['a header that is not base64url', `a+b.${b64url({})}.`],
      ['a payload that is not JSON', `${b64url({})}.${Buffer.from('nope').toString('base64url')}.`],
      ['a payload that is a JSON array', `${b64url({})}.${b64url([1])}.`],
    ])('throws a TypeError for %s', (_label, token) => {
      expect(() => decodeJwt(token)).toThrow(TypeError);
    });
  });
});

describe(signEs256Jwt.name, () => {
  const key = generateEs256Key('forged-kid');

  it('makes a token whose header names ES256 and the key id', () => {
    const token = signEs256Jwt({ sub: 'u1' }, key, { typ: 'identity+jwt' });
    expect(decodeJwt(token).header).toEqual({
      alg: 'ES256',
      kid: 'forged-kid',
      typ: 'identity+jwt',
    });
    expect(decodeJwt(token).payload).toEqual({ sub: 'u1' });
  });

  it('signs with a 64-byte R||S signature that verifies against the public key', () => {
    const token = signEs256Jwt({ sub: 'u1' }, key);
    const [header, payload, signature] = token.split('.');
    const raw = Buffer.from(signature, 'base64url');
    expect(raw).toHaveLength(64);
    const publicKey = createPublicKey({ key: key.publicJwk, format: 'jwk' });
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      raw,
    );
    expect(valid).toBe(true);
  });

  it('does not let the header override the algorithm', () => {
    const token = signEs256Jwt({}, key, { alg: 'none' });
    expect(decodeJwt(token).header['alg']).toBe('ES256');
  });
});

describe(generateEs256Key.name, () => {
  it('exports a public P-256 JWK without the private part', () => {
    const { publicJwk } = generateEs256Key();
    expect(publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(publicJwk).not.toHaveProperty('d');
  });
});

describe(epochSeconds.name, () => {
  it('floors to whole seconds', () => {
    expect(epochSeconds(new Date(1_700_000_000_999))).toBe(1_700_000_000);
  });
});
