import { createPublicKey, verify } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import {
  decodeJwt,
  expectBearerChallenge,
  expectProblem,
  expectStatus,
  http,
  loginWithSession,
  loginWithToken,
  randomHex,
  registerUser,
  startSystem,
  uniqueEmail,
} from '@svt/shared/testing';
import type {
  AuthMeBody,
  HttpClient,
  HttpResponse,
  JwksBody,
  RegisteredUser,
  SystemUnderTest,
  TokenBody,
} from '@svt/shared/testing';

const MAX_ACCESS_TOKEN_SECONDS = 15 * 60;

let sut: SystemUnderTest;
let auth: HttpClient;
let user: RegisteredUser;

beforeAll(async () => {
  sut = await startSystem();
  auth = http(sut.auth);
  user = await registerUser(auth);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

async function jwks(): Promise<Record<string, unknown>[]> {
  const response = await auth.get<JwksBody>('/.well-known/jwks.json');
  expectStatus(response, 200);
  return response.json?.keys ?? [];
}

describe('POST /auth/token', () => {
  describe('with the right email and password', () => {
    let response: HttpResponse<TokenBody>;

    beforeAll(async () => {
      response = await auth.post<TokenBody>('/auth/token', {
        email: user.email,
        password: user.password,
      });
    });

    it('answers 201 with a Bearer access token, its lifetime and a refresh token', () => {
      expectStatus(response, 201);
      expect(response.json).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: expect.any(Number),
        refresh_token: expect.any(String),
      });
      expect(response.json?.expires_in).toBeGreaterThan(0);
      expect(response.json?.expires_in).toBeLessThanOrEqual(MAX_ACCESS_TOKEN_SECONDS);
    });

    it('sets no cookie', () => {
      expect(response.cookies).toEqual([]);
    });

    it('signs the access token with ES256 as an at+jwt with a key id', () => {
      const { header } = decodeJwt(response.json?.access_token ?? '');

      expect(header).toEqual({
        alg: 'ES256',
        typ: 'at+jwt',
        kid: expect.any(String),
      });
    });

    it('puts exactly iss, aud, sub, sid, jti, iat, exp, amr, acr and auth_time in the access token', () => {
      const { payload } = decodeJwt(response.json?.access_token ?? '');

      expect(Object.keys(payload).sort()).toEqual([
        'acr',
        'amr',
        'aud',
        'auth_time',
        'exp',
        'iat',
        'iss',
        'jti',
        'sid',
        'sub',
      ]);
      expect(payload['iss']).toBe(sut.auth.origin);
      expect([payload['aud']].flat()).toEqual(['svt-api']);
      expect(payload['sub']).toBe(user.id);
      expect(payload['sid']).toEqual(expect.any(String));
      expect(payload['jti']).toEqual(expect.any(String));
    });

    it('makes the access token live at most 15 minutes, from now', () => {
      const { payload } = decodeJwt(response.json?.access_token ?? '');
      const iat = Number(payload['iat']);
      const exp = Number(payload['exp']);

      expect(exp - iat).toBeGreaterThan(0);
      expect(exp - iat).toBeLessThanOrEqual(MAX_ACCESS_TOKEN_SECONDS);
      expect(Math.abs(iat - Date.now() / 1000)).toBeLessThan(60);
    });

    it('keeps the email and anything personal out of the access token', () => {
      const { payload } = decodeJwt(response.json?.access_token ?? '');
      const text = JSON.stringify(payload);

      expect(text).not.toContain(user.email);
      expect(text).not.toContain('@');
    });

    it('gives an opaque refresh token that is not the access token', () => {
      const refresh = response.json?.refresh_token ?? '';

      expect(refresh.length).toBeGreaterThanOrEqual(22);
      expect(refresh).not.toBe(response.json?.access_token);
    });

    it('gives a new jti and a new sid on every login', async () => {
      const other = await loginWithToken(auth, user);
      const first = decodeJwt(response.json?.access_token ?? '').payload;
      const second = decodeJwt(other.accessToken).payload;

      expect(second['jti']).not.toBe(first['jti']);
      expect(second['sid']).not.toBe(first['sid']);
      expect(other.refreshToken).not.toBe(response.json?.refresh_token);
    });
  });

  describe('when the password is wrong', () => {
    it('answers 401 invalid_credentials, the same as for an unknown email', async () => {
      const wrongPassword = await auth.post('/auth/token', {
        email: user.email,
        password: `${user.password}x`,
      });
      const unknownEmail = await auth.post('/auth/token', {
        email: uniqueEmail(),
        password: user.password,
      });

      expectProblem(wrongPassword, 401, 'invalid_credentials');
      expectProblem(unknownEmail, 401, 'invalid_credentials');
      expect(wrongPassword.json).toEqual(unknownEmail.json);
    });
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes ES256 P-256 signing keys with kid, alg and use', async () => {
    const keys = await jwks();

    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatchObject({
        kid: expect.any(String),
        alg: 'ES256',
        use: 'sig',
        kty: 'EC',
        crv: 'P-256',
      });
    }
  });

  it('never publishes a private part', async () => {
    const keys = await jwks();

    for (const key of keys) {
      expect(key).not.toHaveProperty('d');
    }
  });

  it("lists the access token's kid, and that key verifies the token's signature", async () => {
    const { accessToken } = await loginWithToken(auth, user);
    const { header } = decodeJwt(accessToken);
    const key = (await jwks()).find((k) => k['kid'] === header['kid']);

    expect(key).toBeDefined();
    const [headerPart, payloadPart, signaturePart] = accessToken.split('.');
    const valid = verify(
      'sha256',
      Buffer.from(`${headerPart}.${payloadPart}`),
      {
        key: createPublicKey({ key: key as JsonWebKey, format: 'jwk' }),
        dsaEncoding: 'ieee-p1363',
      },
      Buffer.from(signaturePart, 'base64url'),
    );
    expect(valid).toBe(true);
  });
});

describe('POST /auth/token/refresh', () => {
  describe('with a live refresh token', () => {
    it('answers 200 with a new access token and a NEW refresh token', async () => {
      const login = await loginWithToken(auth, user);

      const response = await auth.post<TokenBody>('/auth/token/refresh', {
        refresh_token: login.refreshToken,
      });

      expectStatus(response, 200);
      expect(response.json).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: expect.any(Number),
        refresh_token: expect.any(String),
      });
      expect(response.json?.refresh_token).not.toBe(login.refreshToken);
      expect(response.json?.access_token).not.toBe(login.accessToken);
      expect(decodeJwt(response.json?.access_token ?? '').payload['sub']).toBe(user.id);
    });

    it('gives tokens that work, including the new refresh token', async () => {
      const login = await loginWithToken(auth, user);
      const first = await auth.post<TokenBody>('/auth/token/refresh', {
        refresh_token: login.refreshToken,
      });

      const me = await auth.get('/auth/me', {
        bearer: first.json?.access_token,
      });
      const second = await auth.post('/auth/token/refresh', {
        refresh_token: first.json?.refresh_token,
      });

      expectStatus(me, 200);
      expectStatus(second, 200);
    });
  });

  describe('when the refresh token was already used and its successor too', () => {
    it('answers 401 invalid_refresh_token', async () => {
      const login = await loginWithToken(auth, user);
      const rotated = await auth.post<TokenBody>('/auth/token/refresh', {
        refresh_token: login.refreshToken,
      });
      expectStatus(rotated, 200);
      expectStatus(
        await auth.post('/auth/token/refresh', { refresh_token: rotated.json?.refresh_token }),
        200,
      );

      const replay = await auth.post('/auth/token/refresh', {
        refresh_token: login.refreshToken,
      });

      expectProblem(replay, 401, 'invalid_refresh_token');
    });
  });

  describe('when a client retries the refresh it just made (two tabs, a lost response)', () => {
    it('answers 200 with the same successor refresh token', async () => {
      const login = await loginWithToken(auth, user);
      const first = await auth.post<TokenBody>('/auth/token/refresh', {
        refresh_token: login.refreshToken,
      });
      const retry = await auth.post<TokenBody>('/auth/token/refresh', {
        refresh_token: login.refreshToken,
      });

      expectStatus(retry, 200);
      expect(retry.json?.refresh_token).toBe(first.json?.refresh_token);
    });
  });

  describe('when the refresh token was never issued', () => {
    it('answers 401 invalid_refresh_token', async () => {
      const response = await auth.post('/auth/token/refresh', {
        refresh_token: randomHex(32),
      });

      expectProblem(response, 401, 'invalid_refresh_token');
    });
  });

  describe('when an access token is sent as the refresh token', () => {
    it('answers 401 invalid_refresh_token', async () => {
      const login = await loginWithToken(auth, user);

      const response = await auth.post('/auth/token/refresh', {
        refresh_token: login.accessToken,
      });

      expectProblem(response, 401, 'invalid_refresh_token');
    });
  });
});

describe('POST /auth/token/revoke', () => {
  it('answers 204, after which the refresh token is refused with 401 invalid_refresh_token', async () => {
    const login = await loginWithToken(auth, user);

    const revoke = await auth.post('/auth/token/revoke', {
      refresh_token: login.refreshToken,
    });
    const refresh = await auth.post('/auth/token/refresh', {
      refresh_token: login.refreshToken,
    });

    expectStatus(revoke, 204);
    expect(revoke.text).toBe('');
    expectProblem(refresh, 401, 'invalid_refresh_token');
  });

  it('answers 204 for a token it never issued (RFC 7009 §2.2)', async () => {
    const response = await auth.post('/auth/token/revoke', {
      refresh_token: randomHex(32),
    });

    expectStatus(response, 204);
  });

  it('answers 204 for a token revoked before', async () => {
    const login = await loginWithToken(auth, user);
    await auth.post('/auth/token/revoke', {
      refresh_token: login.refreshToken,
    });

    const again = await auth.post('/auth/token/revoke', {
      refresh_token: login.refreshToken,
    });

    expectStatus(again, 204);
  });
});

describe('GET /auth/me', () => {
  describe('with a Bearer access token', () => {
    it("answers 200 with the user and method 'bearer'", async () => {
      const { accessToken } = await loginWithToken(auth, user);

      const response = await auth.get<AuthMeBody>('/auth/me', {
        bearer: accessToken,
      });

      expectStatus(response, 200);
      expect(response.json).toEqual({
        id: user.id,
        email: user.email,
        emailVerified: false,
        method: 'bearer',
        amr: ['pwd'],
        acr: 'aal1',
      });
    });
  });

  describe('with the session cookie', () => {
    it("answers 200 with the user and method 'session'", async () => {
      const { jar } = await loginWithSession(auth, user);

      const response = await auth.get<AuthMeBody>('/auth/me', { jar });

      expectStatus(response, 200);
      expect(response.json).toEqual({
        id: user.id,
        email: user.email,
        emailVerified: false,
        method: 'session',
        amr: ['pwd'],
        acr: 'aal1',
      });
    });
  });

  describe('with an invalid Bearer token and a valid session cookie', () => {
    it.each<[string, () => Promise<string>]>([
      ['garbage', async () => 'garbage'],
      ['a JWT-shaped string', async () => 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'],
      ['a refresh token', async () => (await loginWithToken(auth, user)).refreshToken],
      [
        'an access token with one character of its signature changed',
        async () => {
          const token = (await loginWithToken(auth, user)).accessToken;
          const last = token.at(-2) === 'A' ? 'B' : 'A';
          return `${token.slice(0, -2)}${last}${token.at(-1)}`;
        },
      ],
    ])(
      'answers 401 invalid_token for %s, without falling back to the cookie',
      async (_label, makeToken) => {
        const { jar } = await loginWithSession(auth, user);
        const token = await makeToken();

        const response = await auth.get('/auth/me', { jar, bearer: token });

        expectProblem(response, 401, 'invalid_token');
        expectBearerChallenge(response, true);
      },
    );
  });

  describe('without any credential', () => {
    it('answers 401 unauthenticated with a Bearer challenge', async () => {
      const response = await auth.get('/auth/me');

      expectProblem(response, 401, 'unauthenticated');
      expectBearerChallenge(response, false);
    });
  });
});
