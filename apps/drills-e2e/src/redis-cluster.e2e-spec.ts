import {
  csrfHeaders,
  expectProblem,
  expectStatus,
  findRedisServer,
  http,
  pollUntil,
  signUp,
  startRedisCluster,
  startSystem,
} from '@svt/shared/testing';
import type {
  CartBody,
  HttpClient,
  RedisTestCluster,
  SessionListingBody,
  SignedUpUser,
  SystemUnderTest,
  TokenBody,
} from '@svt/shared/testing';

/**
 * The three services on a real 3-master Redis Cluster (REDIS_CLUSTER=true,
 * REDIS_URL = the seed list): sessions, the denylist and its revocation feed,
 * and the rate-limit counters all live on the cluster. PostgreSQL from
 * DATABASE_URL when it is set, else SQLite.
 */
if (findRedisServer() === undefined) {
  console.warn(
    'SKIPPED: Redis Cluster e2e suite (redis-server not found) — install Redis 7 or later',
  );
} else {
  let cluster: RedisTestCluster;
  let sut: SystemUnderTest;
  let shop: HttpClient;
  let auth: HttpClient;
  let cart: HttpClient;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    const redis = { REDIS_URL: cluster.seedUrl, REDIS_CLUSTER: 'true' };
    sut = await startSystem({
      redis: 'own',
      env: { auth: redis, gateway: redis, cart: redis },
    });
    shop = http(sut.shop);
    auth = http(sut.auth);
    cart = http(sut.cart);
  }, 120_000);

  afterAll(async () => {
    await sut?.stop();
    await cluster?.stop();
  });

  describe('the system on a 3-master Redis Cluster', () => {
    let user: SignedUpUser;

    beforeAll(async () => {
      // A cookie session at SHOP and a token pair at AUTH, both kept on the cluster.
      user = await signUp(shop, '/api/auth');
    });

    it.each(['shop', 'auth', 'cart'] as const)(
      '%s answers /health/ready with 200',
      async (name) => {
        const client = { shop, auth, cart }[name];

        expectStatus(await client.get('/health/ready'), 200);
      },
    );

    it('serves GET /api/me at SHOP to the session cookie', async () => {
      const response = await shop.get('/api/me', { jar: user.session.jar });

      expectStatus(response, 200);
      expect(response.json).toEqual({
        userId: user.user.id,
        method: 'session',
        deviceBound: false,
      });
    });

    it('writes and reads the cart through the gateway with the session cookie', async () => {
      const cookie = {
        jar: user.session.jar,
        headers: csrfHeaders(sut.shop.origin, user.session.csrfToken),
      };

      expectStatus(await shop.put('/api/cart/items/sku-1', { quantity: 3 }, cookie), 200);
      const read = await shop.get<CartBody>('/api/cart', cookie);

      expectStatus(read, 200);
      expect(read.json?.items).toEqual([{ sku: 'sku-1', quantity: 3 }]);
    });

    it('serves GET /api/me at SHOP and GET /cart at CART to the Bearer token', async () => {
      const me = await shop.get('/api/me', { bearer: user.tokens.accessToken });
      const ownCart = await cart.get<CartBody>('/cart', { bearer: user.tokens.accessToken });

      expectStatus(me, 200);
      expect(me.json).toEqual({ userId: user.user.id, method: 'bearer' });
      expectStatus(ownCart, 200);
      expect(ownCart.json?.items).toEqual([{ sku: 'sku-1', quantity: 3 }]);
    });

    it('rotates the refresh token, and refuses the old one afterwards', async () => {
      const rotated = await auth.post<TokenBody>('/auth/token/refresh', {
        refresh_token: user.tokens.refreshToken,
      });
      expectStatus(rotated, 200);
      expect(rotated.json?.refresh_token).not.toBe(user.tokens.refreshToken);

      const other = await signUp(shop, '/api/auth');
      const fresh = await auth.post<TokenBody>('/auth/token/refresh', {
        refresh_token: other.tokens.refreshToken,
      });
      expectStatus(fresh, 200);
      const next = await auth.post<TokenBody>('/auth/token/refresh', {
        refresh_token: fresh.json?.refresh_token,
      });
      expectStatus(next, 200);
      // The first one again: reuse, which ends the family.
      const replay = await auth.post('/auth/token/refresh', {
        refresh_token: other.tokens.refreshToken,
      });
      expect(replay.status).toBe(401);
    });

    it('lists the cookie session and the token family in GET /auth/sessions', async () => {
      const response = await shop.get<SessionListingBody[]>('/api/auth/sessions', {
        jar: user.session.jar,
      });

      expectStatus(response, 200);
      expect(response.json?.map((row) => row.method).sort()).toEqual(['bearer', 'session']);
    });
  });

  describe('revocations on the cluster', () => {
    it('refuses the session cookie at once after logout', async () => {
      const user = await signUp(shop, '/api/auth');
      expectStatus(await shop.get('/api/me', { jar: user.session.jar }), 200);
      const cookieJar = user.session.jar.clone();

      const logout = await shop.delete('/api/auth/session', {
        jar: user.session.jar,
        headers: csrfHeaders(sut.shop.origin, user.session.csrfToken),
      });

      expectStatus(logout, 204);
      expectProblem(await shop.get('/api/me', { jar: cookieJar }), 401, 'unauthenticated');
    });

    it('refuses the access token at SHOP and at CART within a second of logout-all', async () => {
      const user = await signUp(shop, '/api/auth');
      const bearer = { bearer: user.tokens.accessToken };
      expectStatus(await shop.get('/api/me', bearer), 200);
      expectStatus(await cart.get('/cart', bearer), 200);

      expectStatus(await auth.post('/auth/logout-all', undefined, bearer), 204);

      // The denial reaches the gateway's and the cart's mirrors over the
      // cluster's pub/sub; neither asks Redis while its feed is live.
      const [atShop, atCart] = await Promise.all([
        pollUntil(
          () => shop.get('/api/me', bearer),
          (response) => response.status === 401,
          { timeoutMs: 1000, intervalMs: 50 },
        ),
        pollUntil(
          () => cart.get('/cart', bearer),
          (response) => response.status === 401,
          { timeoutMs: 1000, intervalMs: 50 },
        ),
      ]);
      expect(atShop.status).toBe(401);
      expect(atCart.status).toBe(401);
    });
  });
}
