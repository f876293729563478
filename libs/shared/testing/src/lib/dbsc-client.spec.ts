import { compactVerify, importJWK } from 'jose';
import {
  challengeOf,
  dbscPrivateJwk,
  dbscProof,
  generateDbscKey,
  parseChallengeHeader,
  parseRegistrationHeader,
  registrationOffer,
  resolvePath,
} from './dbsc-client';
import type { DbscKey } from './dbsc-client';
import type { HttpResponse } from './http-client';
import { decodeJwt } from './jwt';

let key: DbscKey;

beforeAll(async () => {
  key = await generateDbscKey();
});

function response(headers: Record<string, string>, path = '/api/auth/session'): HttpResponse {
  return {
    status: 201,
    headers,
    text: '',
    json: undefined,
    cookies: [],
    setCookie: [],
    method: 'POST',
    path,
  };
}

describe(parseRegistrationHeader.name, () => {
  it('reads the algorithms, and the path resolved against the login it answered', () => {
    const offers = parseRegistrationHeader(
      '(ES256);path="session/dbsc/registration";challenge="abc-_123"',
      '/api/auth/session',
    );

    expect(offers).toEqual([
      { algorithms: ['ES256'], path: '/api/auth/session/dbsc/registration', challenge: 'abc-_123' },
    ]);
  });

  it('reads several offers and several algorithms, whitespace allowed between members', () => {
    const offers = parseRegistrationHeader(
      '(ES256 RS256);path="/a";challenge="c1" , (ES256);path="b";challenge="c\\"2"',
      '/auth/session',
    );

    expect(offers).toEqual([
      { algorithms: ['ES256', 'RS256'], path: '/a', challenge: 'c1' },
      { algorithms: ['ES256'], path: '/auth/b', challenge: 'c"2' },
    ]);
  });

  it.each([
    ['an algorithm given as a string', '("ES256");path="p";challenge="c"'],
    ['an item where an inner list belongs', 'ES256;path="p";challenge="c"'],
    ['no challenge', '(ES256);path="p"'],
    ['a challenge token, not a string', '(ES256);path="p";challenge=c'],
    ['an unterminated string', '(ES256);path="p;challenge="c'],
    ['a trailing comma', '(ES256);path="p";challenge="c",'],
  ])('throws a TypeError for %s', (_, header) => {
    expect(() => parseRegistrationHeader(header, '/')).toThrow(TypeError);
  });
});

describe(resolvePath.name, () => {
  it.each([
    ['session/dbsc/registration', '/api/auth/session', '/api/auth/session/dbsc/registration'],
    ['session/dbsc/registration', '/auth/session', '/auth/session/dbsc/registration'],
    ['refresh', '/auth/session/dbsc/registration', '/auth/session/dbsc/refresh'],
    ['/absolute?x=1', '/a/b', '/absolute?x=1'],
    ['../up', '/a/b/c', '/a/up'],
  ])('resolves %s against %s as a browser does', (reference, base, expected) => {
    expect(resolvePath(reference, base)).toBe(expected);
  });
});

describe(registrationOffer.name, () => {
  it('takes the first offer of a response, relative to its path', () => {
    const offer = registrationOffer(
      response({
        'secure-session-registration': '(ES256);path="session/dbsc/registration";challenge="c"',
      }),
    );

    expect(offer.path).toBe('/api/auth/session/dbsc/registration');
  });

  it('throws when the response offers none', () => {
    expect(() => registrationOffer(response({}))).toThrow(/no DBSC registration offer/);
  });
});

describe(parseChallengeHeader.name, () => {
  it('reads a challenge and the session it is for', () => {
    expect(parseChallengeHeader('"c-1";id="h1"')).toEqual([{ challenge: 'c-1', id: 'h1' }]);
  });

  it('reads a challenge without id', () => {
    expect(parseChallengeHeader('"c-1"')).toEqual([{ challenge: 'c-1' }]);
  });

  it.each([
    ['a bare token', 'c-1;id="h1"'],
    ['an id that is an integer', '"c-1";id=1'],
  ])('throws a TypeError for %s', (_, header) => {
    expect(() => parseChallengeHeader(header)).toThrow(TypeError);
  });

  it('is what challengeOf reads from a response, undefined when there is none', () => {
    expect(challengeOf(response({ 'secure-session-challenge': '"c";id="h"' }))).toEqual({
      challenge: 'c',
      id: 'h',
    });
    expect(challengeOf(response({}))).toBeUndefined();
  });
});

describe(generateDbscKey.name, () => {
  it('makes a P-256 key whose public JWK has no private member', async () => {
    expect(key.publicJwk).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: expect.any(String),
      y: expect.any(String),
    });
    expect(await dbscPrivateJwk(key)).toEqual(expect.objectContaining({ d: expect.any(String) }));
  });

  it('makes an RSA key for RS256', async () => {
    const rsa = await generateDbscKey('RS256');

    expect(rsa.publicJwk).toEqual({ kty: 'RSA', n: expect.any(String), e: 'AQAB' });
  });
});

describe(dbscProof.name, () => {
  it('makes a registration proof: dbsc+jwt with the public jwk, jti the challenge, verifiable with that jwk', async () => {
    const proof = await dbscProof(key, { challenge: 'c1', withJwk: true });

    const { header, payload } = decodeJwt(proof);
    expect(header).toEqual({ alg: 'ES256', typ: 'dbsc+jwt', jwk: key.publicJwk });
    expect(payload).toEqual({ jti: 'c1' });
    await expect(compactVerify(proof, await importJWK(key.publicJwk, 'ES256'))).resolves.toEqual(
      expect.objectContaining({ protectedHeader: header }),
    );
  });

  it('makes a refresh proof without jwk', async () => {
    const { header, payload } = decodeJwt(await dbscProof(key, { challenge: 'c2' }));

    expect(header).toEqual({ alg: 'ES256', typ: 'dbsc+jwt' });
    expect(payload).toEqual({ jti: 'c2' });
  });

  it('takes header and claim overrides, leaving out those given as undefined', async () => {
    const proof = await dbscProof(key, {
      challenge: 'c3',
      withJwk: true,
      header: { typ: undefined, kid: 'k' },
      payload: { jti: undefined, aud: 'x' },
    });

    const { header, payload } = decodeJwt(proof);
    expect(header).toEqual({ alg: 'ES256', jwk: key.publicJwk, kid: 'k' });
    expect(payload).toEqual({ aud: 'x' });
  });

  it('signs with an HMAC secret under HS256', async () => {
    const secret = new TextEncoder().encode('a shared secret of enough length');
    const proof = await dbscProof(key, { challenge: 'c4', secret });

    expect(decodeJwt(proof).header['alg']).toBe('HS256');
    await expect(compactVerify(proof, secret)).resolves.toBeDefined();
  });

  it('leaves an alg none proof unsigned', async () => {
    const proof = await dbscProof(key, { challenge: 'c5', header: { alg: 'none' } });

    expect(proof.endsWith('.')).toBe(true);
    expect(decodeJwt(proof)).toEqual({
      header: { alg: 'none', typ: 'dbsc+jwt' },
      payload: { jti: 'c5' },
      signature: '',
    });
  });
});
