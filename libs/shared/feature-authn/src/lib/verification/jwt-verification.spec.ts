import { checkHeader, MAX_TOKEN_LENGTH } from './jwt-verification';

const expected = { type: 'at+jwt', algorithm: 'ES256' } as const;

function token(header: Record<string, unknown>): string {
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.e30.c2ln`;
}

describe(checkHeader.name, () => {
  it('accepts the pinned algorithm and type with a kid', () => {
    expect(checkHeader(token({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' }), expected)).toEqual({
      kid: 'k1',
    });
  });

  it.each(['AT+JWT', 'application/at+jwt'])(
    'accepts the type written as %s (RFC 7515 §4.1.9)',
    (typ) => {
      expect(checkHeader(token({ alg: 'ES256', typ, kid: 'k1' }), expected)).toEqual({ kid: 'k1' });
    },
  );

  it.each([
    ['alg none', { alg: 'none', typ: 'at+jwt', kid: 'k1' }, 'algorithm not allowed'],
    ['alg NoNe', { alg: 'NoNe', typ: 'at+jwt', kid: 'k1' }, 'algorithm not allowed'],
    [
      'HMAC with the public key',
      { alg: 'HS256', typ: 'at+jwt', kid: 'k1' },
      'algorithm not allowed',
    ],
    ['another curve', { alg: 'ES384', typ: 'at+jwt', kid: 'k1' }, 'algorithm not allowed'],
    ['a plain JWT', { alg: 'ES256', typ: 'JWT', kid: 'k1' }, 'wrong token type'],
    ['an identity token', { alg: 'ES256', typ: 'identity+jwt', kid: 'k1' }, 'wrong token type'],
    ['no type', { alg: 'ES256', kid: 'k1' }, 'wrong token type'],
    [
      'a jku',
      { alg: 'ES256', typ: 'at+jwt', kid: 'k1', jku: 'http://evil.test/jwks' },
      'forbidden header parameter',
    ],
    [
      'an embedded jwk',
      { alg: 'ES256', typ: 'at+jwt', kid: 'k1', jwk: {} },
      'forbidden header parameter',
    ],
    [
      'an x5u',
      { alg: 'ES256', typ: 'at+jwt', kid: 'k1', x5u: 'http://evil.test' },
      'forbidden header parameter',
    ],
    [
      'crit',
      { alg: 'ES256', typ: 'at+jwt', kid: 'k1', crit: ['exp'] },
      'forbidden header parameter',
    ],
    ['no kid', { alg: 'ES256', typ: 'at+jwt' }, 'missing kid'],
    ['a numeric kid', { alg: 'ES256', typ: 'at+jwt', kid: 7 }, 'missing kid'],
  ])('refuses %s', (_case, header, reason) => {
    expect(checkHeader(token(header), expected)).toEqual({ refused: reason });
  });

  it('refuses a header that is not JSON', () => {
    expect(checkHeader('bm90IGpzb24.e30.c2ln', expected)).toEqual({ refused: 'malformed header' });
  });

  it('refuses an oversized token before parsing it', () => {
    expect(checkHeader('a'.repeat(MAX_TOKEN_LENGTH + 1), expected)).toEqual({
      refused: 'token too large',
    });
  });
});
