import {
  decodeJwt,
  epochSeconds,
  expectBearerChallenge,
  expectProblem,
  expectStatus,
  generateEs256Key,
  http,
  randomHex,
  signEs256Jwt,
  signUp,
  startSystem,
} from '@svt/shared/testing';
import type { GatewayMeBody, HttpClient, SignedUpUser, SystemUnderTest } from '@svt/shared/testing';

let sut: SystemUnderTest;
let shop: HttpClient;
let alice: SignedUpUser;

beforeAll(async () => {
  sut = await startSystem();
  shop = http(sut.shop);
  alice = await signUp(shop, '/api/auth');
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

/** Alice's real access token, its claims kept, re-signed with a key AUTH never had. */
function forgedAccessToken(claims: Record<string, unknown> = {}): string {
  const { header, payload } = decodeJwt(alice.tokens.accessToken);
  return signEs256Jwt(
    { ...payload, jti: randomHex(16), ...claims },
    generateEs256Key(String(header['kid'])),
    {
      typ: 'at+jwt',
    },
  );
}

function unsignedAccessToken(): string {
  const { header, payload } = decodeJwt(alice.tokens.accessToken);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ ...header, alg: 'none' })}.${part(payload)}.`;
}

describe('GET /api/me', () => {
  describe('with the session cookie', () => {
    it("answers 200 with the user id and method 'session'", async () => {
      const response = await shop.get<GatewayMeBody>('/api/me', { jar: alice.session.jar });

      expectStatus(response, 200);
      expect(response.json).toEqual({
        userId: alice.user.id,
        method: 'session',
        deviceBound: false,
      });
    });
  });

  describe('with a Bearer access token', () => {
    it("answers 200 with the user id and method 'bearer'", async () => {
      const response = await shop.get<GatewayMeBody>('/api/me', {
        bearer: alice.tokens.accessToken,
      });

      expectStatus(response, 200);
      expect(response.json).toEqual({ userId: alice.user.id, method: 'bearer' });
    });
  });

  describe('without any credential', () => {
    it('answers 401 unauthenticated with a Bearer challenge', async () => {
      const response = await shop.get('/api/me');

      expectProblem(response, 401, 'unauthenticated');
      expectBearerChallenge(response, false);
    });
  });

  describe('with a bad Bearer token and a valid session cookie', () => {
    it.each<[string, () => string]>([
      ['garbage', () => 'garbage'],
      [
        'a token signed by a key the test made, with the right kid, iss and aud',
        () => forgedAccessToken(),
      ],
      [
        'an expired-looking token',
        () => forgedAccessToken({ iat: epochSeconds() - 3600, exp: epochSeconds() - 1800 }),
      ],
      ['an unsigned token (alg none)', unsignedAccessToken],
      ['the refresh token', () => alice.tokens.refreshToken],
      ['the session id', () => alice.session.sessionId],
    ])(
      'answers 401 invalid_token for %s, with no fall-back to the cookie',
      async (_label, token) => {
        const response = await shop.get('/api/me', { jar: alice.session.jar, bearer: token() });

        expectProblem(response, 401, 'invalid_token');
        expectBearerChallenge(response, true);
      },
    );
  });

  describe('with a malformed Authorization header and a valid session cookie', () => {
    it.each([['Bearer'], ['Bearer '], ['Basic dXNlcjpwYXNz']])(
      'answers 401 for %j, with no fall-back to the cookie',
      async (authorization) => {
        const response = await shop.get('/api/me', {
          jar: alice.session.jar,
          headers: { authorization },
        });

        expectProblem(response, 401);
        expect(response.headers['www-authenticate']).toMatch(/^Bearer\b/);
      },
    );
  });
});
