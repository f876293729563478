import {
  decodeJwt,
  expectProblem,
  expectStatus,
  http,
  loginWithToken,
  registerUser,
  startSystem,
} from '@svt/shared/testing';
import type {
  HttpClient,
  HttpResponse,
  RegisteredUser,
  SystemUnderTest,
  TokenBody,
  TokenLogin,
} from '@svt/shared/testing';
import {
  auditEntries,
  expectInvalidToken,
  onceRevoked,
  pollUntil,
  refresh,
  sidOf,
  sleep,
} from './support';

/**
 * RFC 9700 (OAuth 2.0 Security BCP) §4.14.2: refresh tokens rotate, a spent
 * one presented again revokes its family (and, here, the family's access
 * tokens at every verifier), a client retry within a short grace window is
 * not mistaken for theft, and families expire when idle and absolutely.
 */

const GRACE_SECONDS = 4;

interface Clients {
  auth: HttpClient;
  shop: HttpClient;
  cart: HttpClient;
}

const verifiers: [string, (c: Clients) => HttpClient, string][] = [
  ['AUTH GET /auth/me', (c) => c.auth, '/auth/me'],
  ['the gateway GET /api/me', (c) => c.shop, '/api/me'],
  ['CART GET /cart', (c) => c.cart, '/cart'],
];

function pairOf(response: HttpResponse<TokenBody>): { access: string; refresh: string } {
  expectStatus(response, 200);
  return { access: response.json?.access_token ?? '', refresh: response.json?.refresh_token ?? '' };
}

describe('with a grace window of 4 s and long lifetimes', () => {
  let sut: SystemUnderTest;
  const c = {} as Clients;
  let user: RegisteredUser;

  beforeAll(async () => {
    sut = await startSystem({
      env: { auth: { REFRESH_TOKEN_REUSE_GRACE: String(GRACE_SECONDS) } },
    });
    c.auth = http(sut.auth);
    c.shop = http(sut.shop);
    c.cart = http(sut.cart);
    user = await registerUser(c.auth);
  }, 120_000);

  afterAll(async () => {
    await sut?.stop();
  });

  describe('RFC 9700 §4.14.2 refresh token rotation', () => {
    it('answers a refresh with a new refresh token and a new access token of the same family', async () => {
      const login = await loginWithToken(c.auth, user);

      const next = pairOf(await refresh(c.auth, login.refreshToken));

      expect(next.refresh).not.toBe(login.refreshToken);
      expect(next.access).not.toBe(login.accessToken);
      expect(sidOf(next.access)).toBe(sidOf(login.accessToken));
      expect(decodeJwt(next.access).payload['sub']).toBe(user.id);
    });

    it('lets the successor refresh in turn, and each new access token works everywhere', async () => {
      const login = await loginWithToken(c.auth, user);
      const first = pairOf(await refresh(c.auth, login.refreshToken));

      const second = pairOf(await refresh(c.auth, first.refresh));

      for (const [, client, path] of verifiers) {
        expectStatus(await client(c).get(path, { bearer: second.access }), 200);
      }
    });
  });

  describe(`RFC 9700 §4.14.2 a client retry within the grace window (REFRESH_TOKEN_REUSE_GRACE=${GRACE_SECONDS})`, () => {
    it('answers a retry of the just-spent token with the SAME successor and a new access token', async () => {
      const login = await loginWithToken(c.auth, user);
      const first = pairOf(await refresh(c.auth, login.refreshToken));

      const retry = pairOf(await refresh(c.auth, login.refreshToken));

      expect(retry.refresh).toBe(first.refresh);
      expect(retry.access).not.toBe(first.access);
      expect(sidOf(retry.access)).toBe(sidOf(first.access));
    });

    it('answers 10 parallel refreshes of one token all with 200 and one and the same successor, which then works', async () => {
      const login = await loginWithToken(c.auth, user);

      const responses = await Promise.all(
        Array.from({ length: 10 }, () => refresh(c.auth, login.refreshToken)),
      );

      const pairs = responses.map(pairOf);
      expect(new Set(pairs.map((pair) => pair.refresh)).size).toBe(1);
      expect(new Set(pairs.map((pair) => pair.access)).size).toBe(10);
      for (const pair of pairs) {
        expectStatus(await c.shop.get('/api/me', { bearer: pair.access }), 200);
      }
      const onward = pairOf(await refresh(c.auth, pairs[0].refresh));
      expectStatus(await c.cart.get('/cart', { bearer: onward.access }), 200);
    });
  });

  describe('RFC 9700 §4.14.2 the grace window is not a second chance for another client', () => {
    const fromAddress = (ip: string, userAgent = 'svt-e2e') => ({
      headers: { 'x-forwarded-for': ip, 'user-agent': userAgent },
    });
    const refreshFrom = (token: string, ip: string, userAgent?: string) =>
      c.auth.post<TokenBody>(
        '/auth/token/refresh',
        { refresh_token: token },
        fromAddress(ip, userAgent),
      );

    it('audits a retry as refresh_token.retried, naming the family, the address and the user agent', async () => {
      const login = await loginWithToken(c.auth, user);
      pairOf(await refreshFrom(login.refreshToken, '198.51.100.20'));

      pairOf(await refreshFrom(login.refreshToken, '198.51.100.20', 'retrying-client/1.0'));

      const retried = await pollUntil(
        async () =>
          auditEntries(sut.auth.output()).filter(
            (entry) => entry['event'] === 'refresh_token.retried',
          ),
        (events) => events.some((event) => event['sessionId'] === sidOf(login.accessToken)),
        { timeoutMs: 5_000, intervalMs: 50 },
      );
      expect(retried.find((event) => event['sessionId'] === sidOf(login.accessToken))).toEqual(
        expect.objectContaining({
          userId: user.id,
          ip: '198.51.100.20',
          userAgent: 'retrying-client/1.0',
          level: 'warn',
        }),
      );
    });

    it('treats a retry from another client address as reuse: 401, and the family ends everywhere', async () => {
      const login = await loginWithToken(c.auth, user);
      const first = pairOf(await refreshFrom(login.refreshToken, '198.51.100.21'));

      const stolen = await refreshFrom(login.refreshToken, '203.0.113.21');

      expectProblem(stolen, 401, 'invalid_refresh_token');
      expectProblem(
        await refreshFrom(first.refresh, '198.51.100.21'),
        401,
        'invalid_refresh_token',
      );
      for (const [, client, path] of verifiers) {
        expectInvalidToken(await onceRevoked(() => client(c).get(path, { bearer: first.access })));
      }
    });

    it('keeps a retry from another address of the same IPv6 /64 a retry', async () => {
      const login = await loginWithToken(c.auth, user);
      const first = pairOf(await refreshFrom(login.refreshToken, '2001:db8:7:1::a'));

      const retry = pairOf(await refreshFrom(login.refreshToken, '2001:db8:7:1::b'));

      expect(retry.refresh).toBe(first.refresh);
    });
  });

  describe('RFC 9700 §4.14.2 reuse of a token whose successor was spent revokes the family', () => {
    let login: TokenLogin;
    let first: { access: string; refresh: string };
    let second: { access: string; refresh: string };
    let other: TokenLogin;
    let replay: HttpResponse<TokenBody>;

    beforeAll(async () => {
      other = await loginWithToken(c.auth, user);
      login = await loginWithToken(c.auth, user);
      first = pairOf(await refresh(c.auth, login.refreshToken));
      second = pairOf(await refresh(c.auth, first.refresh));

      replay = await refresh(c.auth, login.refreshToken);
    });

    it('answers the replay with 401 invalid_refresh_token', () => {
      expectProblem(replay, 401, 'invalid_refresh_token');
    });

    it("ends the family's current refresh token too", async () => {
      expectProblem(await refresh(c.auth, second.refresh), 401, 'invalid_refresh_token');
    });

    it.each(verifiers)(
      'refuses every access token of the family at %s with 401 invalid_token',
      async (_name, client, path) => {
        for (const access of [login.accessToken, first.access, second.access]) {
          expectInvalidToken(await onceRevoked(() => client(c).get(path, { bearer: access })));
        }
      },
    );

    it("leaves the user's other token families alone", async () => {
      expectStatus(await c.shop.get('/api/me', { bearer: other.accessToken }), 200);
      pairOf(await refresh(c.auth, other.refreshToken));
    });
  });

  describe('RFC 9700 §4.14.2 reuse of a spent token after the grace window revokes the family', () => {
    let login: TokenLogin;
    let first: { access: string; refresh: string };
    let replay: HttpResponse<TokenBody>;

    beforeAll(async () => {
      login = await loginWithToken(c.auth, user);
      first = pairOf(await refresh(c.auth, login.refreshToken));
      await sleep((GRACE_SECONDS + 1.5) * 1000);

      replay = await refresh(c.auth, login.refreshToken);
    }, 30_000);

    it('answers the late retry with 401 invalid_refresh_token', () => {
      expectProblem(replay, 401, 'invalid_refresh_token');
    });

    it('ends the successor, though it was never spent', async () => {
      expectProblem(await refresh(c.auth, first.refresh), 401, 'invalid_refresh_token');
    });

    it.each(verifiers)(
      "refuses the family's access tokens at %s with 401 invalid_token",
      async (_name, client, path) => {
        expectInvalidToken(await onceRevoked(() => client(c).get(path, { bearer: first.access })));
        expectInvalidToken(
          await onceRevoked(() => client(c).get(path, { bearer: login.accessToken })),
        );
      },
    );
  });

  describe('RFC 7009 §2.1 revoking a refresh token (POST /auth/token/revoke)', () => {
    it.each([
      ['on AUTH', '/auth'],
      ['through the gateway', '/api/auth'],
    ])(
      'answers 204 %s and ends the family: its access token is refused everywhere, its refresh token too',
      async (_where, basePath) => {
        const login = await loginWithToken(c.auth, user);
        const client = basePath === '/auth' ? c.auth : c.shop;

        const revoked = await client.post(`${basePath}/token/revoke`, {
          refresh_token: login.refreshToken,
        });

        expectStatus(revoked, 204);
        for (const [, verifier, path] of verifiers) {
          expectInvalidToken(
            await onceRevoked(() => verifier(c).get(path, { bearer: login.accessToken })),
          );
        }
        expectProblem(await refresh(c.auth, login.refreshToken), 401, 'invalid_refresh_token');
      },
    );
  });
});

describe('with the grace window off and short lifetimes (idle 3 s, absolute 6 s)', () => {
  let sut: SystemUnderTest;
  const c = {} as Clients;
  let user: RegisteredUser;

  beforeAll(async () => {
    sut = await startSystem({
      env: {
        auth: {
          REFRESH_TOKEN_REUSE_GRACE: '0',
          REFRESH_TOKEN_IDLE_TTL: '3',
          REFRESH_TOKEN_TTL: '6',
        },
      },
    });
    c.auth = http(sut.auth);
    c.shop = http(sut.shop);
    c.cart = http(sut.cart);
    user = await registerUser(c.auth);
  }, 120_000);

  afterAll(async () => {
    await sut?.stop();
  });

  describe('RFC 9700 §4.14.2 reuse detection without a grace window (REFRESH_TOKEN_REUSE_GRACE=0)', () => {
    it('answers an immediate retry of a spent token with 401 and revokes the family', async () => {
      const login = await loginWithToken(c.auth, user);
      const first = pairOf(await refresh(c.auth, login.refreshToken));

      const replay = await refresh(c.auth, login.refreshToken);

      expectProblem(replay, 401, 'invalid_refresh_token');
      expectProblem(await refresh(c.auth, first.refresh), 401, 'invalid_refresh_token');
      for (const [, client, path] of verifiers) {
        expectInvalidToken(await onceRevoked(() => client(c).get(path, { bearer: first.access })));
      }
    });

    it('answers 10 parallel refreshes of one token with exactly one 200, the others 401, none 500', async () => {
      const login = await loginWithToken(c.auth, user);

      const responses = await Promise.all(
        Array.from({ length: 10 }, () => refresh(c.auth, login.refreshToken)),
      );

      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([200, 401, 401, 401, 401, 401, 401, 401, 401, 401]);
      for (const response of responses.filter((r) => r.status === 401)) {
        expectProblem(response, 401, 'invalid_refresh_token');
      }
    });
  });

  describe('RFC 9700 §4.14.2 refresh token expiration (REFRESH_TOKEN_IDLE_TTL=3, REFRESH_TOKEN_TTL=6)', () => {
    it('ends a family whose current refresh token went unused for the idle lifetime', async () => {
      const login = await loginWithToken(c.auth, user);

      await sleep(4_000);

      expectProblem(await refresh(c.auth, login.refreshToken), 401, 'invalid_refresh_token');
    });

    it('keeps a family alive past the idle lifetime while it is used, and ends it at the absolute lifetime anyway', async () => {
      const login = await loginWithToken(c.auth, user);
      let current = login.refreshToken;
      const statuses: number[] = [];

      // One refresh a second: always inside the 3 s idle window.
      for (let attempt = 0; attempt < 12; attempt += 1) {
        await sleep(1_000);
        const response = await refresh(c.auth, current);
        statuses.push(response.status);
        if (response.status !== 200) {
          expectProblem(response, 401, 'invalid_refresh_token');
          break;
        }
        current = response.json?.refresh_token ?? '';
      }

      expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
      expect(statuses.at(-1)).toBe(401);
    }, 30_000);
  });
});
