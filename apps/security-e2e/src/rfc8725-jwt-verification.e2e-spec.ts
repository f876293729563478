import { createPublicKey } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  decodeJwt,
  epochSeconds,
  expectProblem,
  expectStatus,
  generateEs256Key,
  http,
  loginWithToken,
  randomHex,
  signUp,
  startSystem,
} from '@svt/shared/testing';
import type {
  CartBody,
  HttpClient,
  JsonObject,
  JwksBody,
  SignedUpUser,
  SystemUnderTest,
  TestSigningKey,
} from '@svt/shared/testing';
import {
  es256Jwt,
  expectInvalidToken,
  gatewayIdentityKey,
  hs256Jwt,
  identityToken,
  pollUntil,
  rawJwt,
  sidOf,
} from './support';
import type { GatewayIdentityKey } from './support';

/**
 * RFC 8725 (JWT Best Current Practices), RFC 9068 (JWT access tokens) and
 * RFC 6750 §3 (the answer to a bad token), attacked at all three verifiers.
 *
 * AUTH's private key never leaves AUTH, so an access token with a valid
 * signature and a bad claim cannot be made here: the access-token rows with
 * bad claims are signed by a key of the test under AUTH's real kid, and prove
 * only that such tokens are refused (401, never 500, no fall-back). The claim
 * checks themselves are proven with valid signatures on the identity-token
 * path, whose key the gateway keeps in DATA_DIR, and which CART verifies with
 * the same verifier code as access tokens (header checks: the
 * feature-authn `jwt-verification.spec.ts` unit tests).
 *
 * The system is configured so that the last block can show that an unknown
 * kid never makes a verifier fetch keys: AUTH activates a new key at once,
 * the gateway and CART refresh AUTH's JWKS only hourly.
 */

let sut: SystemUnderTest;
let auth: HttpClient;
let shop: HttpClient;
let cart: HttpClient;
let alice: SignedUpUser;
let authJwk: JsonWebKey & { kid?: string };
let gatewayKey: GatewayIdentityKey;
let gatewayJwk: JsonObject;
const attacker: TestSigningKey = generateEs256Key('attacker-key');

/** Answers anything with the attacker's JWKS, and remembers being asked. */
let keyServer: Server;
let keyServerUrl: string;
const keyServerRequests: string[] = [];

beforeAll(async () => {
  keyServer = createServer((request, response) => {
    keyServerRequests.push(`${request.method} ${request.url}`);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [{ ...attacker.publicJwk, kid: attacker.kid }] }));
  });
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
  keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;

  sut = await startSystem({
    env: {
      auth: { SIGNING_KEY_ACTIVATION_DELAY: '0' },
      gateway: { JWKS_REFRESH_INTERVAL: '3600' },
      cart: { JWKS_REFRESH_INTERVAL: '3600' },
    },
  });
  auth = http(sut.auth);
  shop = http(sut.shop);
  cart = http(sut.cart);
  alice = await signUp(auth);
  const jwks = await auth.get<JwksBody>('/.well-known/jwks.json');
  authJwk = jwks.json?.keys[0] as JsonWebKey & { kid?: string };
  gatewayKey = await gatewayIdentityKey(sut, shop);
  const gatewayJwks = await shop.get<JwksBody>('/.well-known/jwks.json');
  gatewayJwk = gatewayJwks.json?.keys[0] ?? {};
}, 120_000);

afterAll(async () => {
  await sut?.stop();
  await new Promise((resolve) => keyServer?.close(resolve));
});

/** Alice's real access-token claims, fresh, with `claims` overriding (`undefined` drops one). */
function accessClaims(claims: JsonObject = {}): JsonObject {
  const real = decodeJwt(alice.tokens.accessToken).payload;
  const now = epochSeconds();
  const merged: JsonObject = { ...real, iat: now, exp: now + 60, jti: randomHex(16), ...claims };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
}

/** Signed by the attacker's key under AUTH's real kid, as an `at+jwt` unless `header` says otherwise. */
function forgedAccess(claims: JsonObject = {}, header: JsonObject = {}): string {
  return es256Jwt(accessClaims(claims), attacker.privateKey, {
    typ: 'at+jwt',
    kid: authJwk.kid,
    ...header,
  });
}

function authPublicPem(): string {
  return createPublicKey({
    key: { kty: 'EC', crv: authJwk.crv, x: authJwk.x, y: authJwk.y },
    format: 'jwk',
  })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

/** A valid identity token for Alice's token family, as the gateway would mint it for CART. */
function aliceIdentity(claims: JsonObject = {}, header: JsonObject = {}): string {
  return identityToken(
    sut,
    gatewayKey,
    { sub: alice.user.id, sid: sidOf(alice.tokens.accessToken), ...claims },
    header,
  );
}

const unsigned = (alg: string, signature = '') =>
  rawJwt({ alg, typ: 'at+jwt', kid: authJwk.kid }, accessClaims(), signature);

type TokenCase = [string, () => string];

const algorithmCases: TokenCase[] = [
  ['alg "none" with no signature', () => unsigned('none')],
  ['alg "None"', () => unsigned('None')],
  ['alg "NONE"', () => unsigned('NONE')],
  ['alg "nOnE"', () => unsigned('nOnE')],
  [
    'alg "none" keeping the real signature',
    () => unsigned('none', alice.tokens.accessToken.split('.')[2]),
  ],
  [
    "HS256 keyed with AUTH's public key as PEM",
    () => hs256Jwt({ typ: 'at+jwt', kid: authJwk.kid }, accessClaims(), authPublicPem()),
  ],
  [
    "HS256 keyed with AUTH's public JWK as JSON",
    () => hs256Jwt({ typ: 'at+jwt', kid: authJwk.kid }, accessClaims(), JSON.stringify(authJwk)),
  ],
  [
    'HS256 with an empty key and a kid pointing at /dev/null',
    () => hs256Jwt({ typ: 'at+jwt', kid: '../../../../../../dev/null' }, accessClaims(), ''),
  ],
  [
    'alg RS256 with a made-up signature',
    () => unsigned('RS256', Buffer.from(randomHex(128), 'hex').toString('base64url')),
  ],
];

const keySelectionCases: TokenCase[] = [
  ["the attacker's key under AUTH's real kid", () => forgedAccess()],
  ['a kid AUTH never published', () => forgedAccess({}, { kid: attacker.kid })],
  ['no kid at all', () => forgedAccess({}, { kid: undefined })],
  ['a kid carrying SQL', () => forgedAccess({}, { kid: "' OR '1'='1" })],
  [
    "a jku pointing at the attacker's JWKS",
    () => forgedAccess({}, { kid: attacker.kid, jku: `${keyServerUrl}/jwks.json` }),
  ],
  [
    "an x5u pointing at the attacker's server",
    () => forgedAccess({}, { kid: attacker.kid, x5u: `${keyServerUrl}/cert.pem` }),
  ],
  [
    "the attacker's public key embedded as jwk",
    () => forgedAccess({}, { kid: attacker.kid, jwk: attacker.publicJwk as JsonObject }),
  ],
  // A self-signed certificate cannot be made with node:crypto alone; that x5c
  // is refused with a valid signature is shown on the identity-token path.
  [
    'an x5c chain',
    () => forgedAccess({}, { x5c: [Buffer.from(randomHex(64)).toString('base64')] }),
  ],
  ['a crit naming an unknown extension', () => forgedAccess({ ext: 1 }, { crit: ['ext'] })],
];

const typeCases: TokenCase[] = [
  ['typ "JWT"', () => forgedAccess({}, { typ: 'JWT' })],
  ['no typ', () => forgedAccess({}, { typ: undefined })],
  ['typ "identity+jwt"', () => forgedAccess({}, { typ: 'identity+jwt' })],
  ["a valid identity token minted by the gateway's key", () => aliceIdentity()],
];

const claimCases: TokenCase[] = [
  ['a foreign iss', () => forgedAccess({ iss: 'http://evil.localhost:1' })],
  ['a foreign aud', () => forgedAccess({ aud: 'another-api' })],
  ['no exp', () => forgedAccess({ exp: undefined })],
  ['no iat', () => forgedAccess({ iat: undefined })],
  ['no sub', () => forgedAccess({ sub: undefined })],
  ['no sid', () => forgedAccess({ sid: undefined })],
  ['no jti', () => forgedAccess({ jti: undefined })],
  ['an iat an hour ahead', () => forgedAccess({ iat: epochSeconds() + 3600 })],
  ['an nbf an hour ahead', () => forgedAccess({ nbf: epochSeconds() + 3600 })],
  [
    'an exp half an hour ago',
    () => forgedAccess({ iat: epochSeconds() - 3600, exp: epochSeconds() - 1800 }),
  ],
];

const malformedCases: TokenCase[] = [
  ['a single segment', () => 'abcdef'],
  ['two segments', () => alice.tokens.accessToken.split('.').slice(0, 2).join('.')],
  ['four segments', () => `${alice.tokens.accessToken}.abc`],
  [
    'a header that is not base64url',
    () => `~~~~.${alice.tokens.accessToken.split('.', 2)[1]}.c2ln`,
  ],
  ['a header that is not JSON', () => `${Buffer.from('not json').toString('base64url')}.e30.c2ln`],
  ['a header that is JSON null', () => `${Buffer.from('null').toString('base64url')}.e30.c2ln`],
  ['a token of 5000 characters', () => forgedAccess({ pad: 'x'.repeat(5000) })],
  ['the refresh token', () => alice.tokens.refreshToken],
  ['the session cookie value', () => alice.session.sessionId],
];

const verifiers: [string, () => HttpClient, string][] = [
  ['the gateway', () => shop, '/api/me'],
  ['CART', () => cart, '/cart'],
  ['AUTH', () => auth, '/auth/me'],
];

describe.each(verifiers)('Bearer access tokens at %s (GET %s)', (_name, client, path) => {
  describe('with valid credentials (the controls)', () => {
    it('answers 200 to the real access token', async () => {
      expectStatus(await client().get(path, { bearer: alice.tokens.accessToken }), 200);
    });

    it('answers 200 to the real access token under a lower-case scheme (RFC 7235 §2.1)', async () => {
      const response = await client().get(path, {
        headers: { authorization: `bearer ${alice.tokens.accessToken}` },
      });

      expectStatus(response, 200);
    });

    it('answers 401 with a bare `Bearer realm="svt"` challenge when no credential is sent (RFC 6750 §3.1)', async () => {
      const response = await client().get(path);

      expectProblem(response, 401, 'unauthenticated');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="svt"');
    });

    it('answers 200 to the session cookie alone, which every row below also sends', async () => {
      expectStatus(await client().get(path, { jar: alice.session.jar }), 200);
    });
  });

  const refuses = (cases: TokenCase[]) =>
    it.each(cases)(
      'refuses %s with 401 invalid_token, without falling back to the cookie',
      async (_label, token) => {
        const response = await client().get(path, { bearer: token(), jar: alice.session.jar });

        expectInvalidToken(response);
        expect(keyServerRequests).toEqual([]);
      },
    );

  describe('RFC 8725 §2.1, §3.1: only the pinned algorithm, ES256', () => refuses(algorithmCases));

  describe('RFC 8725 §3.10: the token never chooses or supplies the key', () =>
    refuses(keySelectionCases));

  describe('RFC 8725 §2.8, §3.11, §3.12, RFC 9068 §2.1: explicit typing, at+jwt only', () =>
    refuses(typeCases));

  describe('RFC 9068 §4, RFC 7519 §4.1: the claims (forged signature, see the file comment)', () =>
    refuses(claimCases));

  describe('RFC 7515 §7.1, RFC 6750 §2.1: malformed and oversized tokens', () =>
    refuses(malformedCases));
});

describe('RFC 8725 §3.8, §3.9, §3.11, §3.12: the identity token CART takes from the gateway (X-Identity-Token)', () => {
  const cartWith = (identity: string) =>
    cart.get<CartBody>('/cart', {
      headers: { 'x-identity-token': identity },
      bearer: alice.tokens.accessToken,
      jar: alice.session.jar,
    });

  it("answers 200 to a token signed with the gateway's key and the right claims (the control)", async () => {
    const response = await cart.get<CartBody>('/cart', {
      headers: { 'x-identity-token': aliceIdentity() },
    });

    expectStatus(response, 200);
    expect(response.json).toEqual({ items: [], updatedAt: null });
  });

  it('answers 200 to a valid token just under the 4096-character limit', async () => {
    const base = aliceIdentity({ pad: '' }).length;
    const token = aliceIdentity({ pad: 'x'.repeat(Math.floor(((4090 - base) * 3) / 4)) });
    expect(token.length).toBeLessThanOrEqual(4096);
    expect(token.length).toBeGreaterThan(4000);

    expectStatus(await cart.get('/cart', { headers: { 'x-identity-token': token } }), 200);
  });

  const now = () => epochSeconds();
  it.each<TokenCase>([
    ['typ "at+jwt"', () => aliceIdentity({}, { typ: 'at+jwt' })],
    ['typ "JWT"', () => aliceIdentity({}, { typ: 'JWT' })],
    ['no typ', () => aliceIdentity({}, { typ: undefined })],
    ["aud AUTH's API audience", () => aliceIdentity({ aud: 'svt-api' })],
    ['aud the AUTH origin', () => aliceIdentity({ aud: sut.auth.origin })],
    ['aud the SHOP origin', () => aliceIdentity({ aud: sut.shop.origin })],
    ['no aud', () => aliceIdentity({ aud: undefined })],
    ['iss the AUTH origin', () => aliceIdentity({ iss: sut.auth.origin })],
    ['iss the CART origin', () => aliceIdentity({ iss: sut.cart.origin })],
    ['no iss', () => aliceIdentity({ iss: undefined })],
    ['no exp', () => aliceIdentity({ exp: undefined })],
    ['no iat', () => aliceIdentity({ iat: undefined })],
    ['no sub', () => aliceIdentity({ sub: undefined })],
    ['no sid', () => aliceIdentity({ sid: undefined })],
    ['no jti', () => aliceIdentity({ jti: undefined })],
    ['an iat an hour ahead', () => aliceIdentity({ iat: now() + 3600, exp: now() + 3660 })],
    ['an nbf an hour ahead', () => aliceIdentity({ nbf: now() + 3600 })],
    ['an exp five minutes ago', () => aliceIdentity({ iat: now() - 600, exp: now() - 300 })],
    ['a kid the gateway does not publish', () => aliceIdentity({}, { kid: randomHex(8) })],
    ['no kid', () => aliceIdentity({}, { kid: undefined })],
    [
      "a jku pointing at the attacker's JWKS",
      () => aliceIdentity({}, { jku: `${keyServerUrl}/jwks.json` }),
    ],
    [
      "an x5u pointing at the attacker's server",
      () => aliceIdentity({}, { x5u: `${keyServerUrl}/c` }),
    ],
    ["the gateway's own public key embedded as jwk", () => aliceIdentity({}, { jwk: gatewayJwk })],
    [
      'an x5c chain',
      () => aliceIdentity({}, { x5c: [Buffer.from(randomHex(64)).toString('base64')] }),
    ],
    ['a crit naming an unknown extension', () => aliceIdentity({ ext: 1 }, { crit: ['ext'] })],
    [
      "the attacker's key under the gateway's kid",
      () =>
        es256Jwt(decodeJwt(aliceIdentity()).payload, attacker.privateKey, {
          typ: 'identity+jwt',
          kid: gatewayKey.kid,
        }),
    ],
    [
      'alg "none"',
      () =>
        rawJwt(
          { alg: 'none', typ: 'identity+jwt', kid: gatewayKey.kid },
          decodeJwt(aliceIdentity()).payload,
        ),
    ],
    [
      "HS256 keyed with the gateway's public JWK as JSON",
      () =>
        hs256Jwt(
          { typ: 'identity+jwt', kid: gatewayKey.kid },
          decodeJwt(aliceIdentity()).payload,
          JSON.stringify(gatewayJwk),
        ),
    ],
    ['a valid token of more than 4096 characters', () => aliceIdentity({ pad: 'x'.repeat(3200) })],
    ["AUTH's access token", () => alice.tokens.accessToken],
    ['garbage', () => 'garbage'],
  ])(
    'refuses %s with 401 invalid_token, without falling back to the Bearer token or the cookie',
    async (_label, token) => {
      const identity = token();

      const response = await cartWith(identity);

      expectInvalidToken(response);
      expect(keyServerRequests).toEqual([]);
    },
  );
});

describe('RFC 8725 §3.10: a token never makes a verifier fetch anything', () => {
  it('the jku/x5u server named by the tokens above received no request at all', () => {
    expect(keyServerRequests).toEqual([]);
  });

  describe('when AUTH signs with a key the gateway and CART have not fetched yet', () => {
    let newToken: string;
    let newKid: string;

    beforeAll(async () => {
      const rotated = await sut.command('auth', ['rotate-signing-key']);
      expect(rotated.code).toBe(0);
      const kids = await pollUntil(
        async () =>
          (await auth.get<JwksBody>('/.well-known/jwks.json')).json?.keys.map((key) =>
            String(key['kid']),
          ) ?? [],
        (list) => list.length > 1,
        { timeoutMs: 10_000 },
      );
      newKid = kids.find((kid) => kid !== authJwk.kid) ?? '(none)';
      expect(rotated.stdout).toContain(newKid);
      // With no activation delay, AUTH signs with the new key at its next reload.
      newToken = await pollUntil(
        async () => (await loginWithToken(auth, alice.user)).accessToken,
        (token) => token !== '' && decodeJwt(token).header['kid'] === newKid,
        { timeoutMs: 15_000 },
      );
    }, 30_000);

    it('AUTH itself accepts the new-kid token (it is valid)', async () => {
      expect(decodeJwt(newToken).header['kid']).toBe(newKid);
      expectStatus(await auth.get('/auth/me', { bearer: newToken }), 200);
    });

    it.each([
      ['the gateway', () => shop, '/api/me'],
      ['CART', () => cart, '/cart'],
    ] as const)(
      '%s refuses it, again and again, rather than fetch keys because a token asks',
      async (_name, client, path) => {
        for (let attempt = 0; attempt < 3; attempt += 1) {
          expectInvalidToken(await client().get(path, { bearer: newToken }));
        }
        expectStatus(await client().get(path, { bearer: alice.tokens.accessToken }), 200);
      },
    );
  });
});
