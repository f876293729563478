import type {
  FaultProxy,
  HttpClient,
  HttpResponse,
  SignedUpUser,
  SystemUnderTest,
} from '@svt/shared/testing';
import {
  deleteRedisKeys,
  epochSeconds,
  expectProblem,
  expectStatus,
  generateEs256Key,
  http,
  loginWithToken,
  pollUntil,
  readTestEnvironment,
  resolveBackend,
  signEs256Jwt,
  signUp,
  startFaultProxy,
  startSystem,
} from '@svt/shared/testing';

const environment = readTestEnvironment();
const onServers = resolveBackend(environment) === 'postgres+redis';
if (!onServers) {
  console.warn(
    'SKIPPED: the Redis and PostgreSQL drills of drills-e2e — set DATABASE_URL and REDIS_URL to run them',
  );
}

/** How long a dependency may take to be noticed lost, or back, before a drill fails. */
const WITHIN = { timeoutMs: 15_000, intervalMs: 100 };

/** REDIS_COMMAND_TIMEOUT_MS of the services here, and how slow the slow drill makes Redis. */
const REDIS_COMMAND_TIMEOUT_MS = 500;
const SLOW_REDIS_REPLY_MS = 2_000;

/** JWKS_MAX_STALENESS of the gateway and CART here, in seconds; they refresh every second. */
const JWKS_MAX_STALENESS = 4;

/** Recovery times go to the test output, where the drill table of docs/operations.md comes from. */
function logRecovery(drill: string, ms: number): void {
  process.stderr.write(`[drill] ${drill}: working again ${ms} ms after the fault was lifted\n`);
}

function hostAndPort(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || defaultPort) };
}

describe('fault drills', () => {
  let system: SystemUnderTest;
  let redis: FaultProxy | undefined;
  let database: FaultProxy | undefined;
  let shop: HttpClient;
  let user: SignedUpUser;

  const asCookie = (): { headers: Record<string, string> } => ({
    headers: { cookie: user.session.jar.header() },
  });
  const asBearer = (): { bearer: string } => ({ bearer: user.tokens.accessToken });
  const ready = async (client: HttpClient): Promise<number> =>
    (await client.get('/health/ready')).status;
  /** A token login answers 503: the store it needs is down. */
  const expectLoginRefused = async (): Promise<void> => {
    const credentials = { email: user.user.email, password: user.user.password };
    expectProblem(
      await http(system.auth).post('/auth/token', credentials),
      503,
      'store_unavailable',
    );
  };
  /** Liveness stays 200 on the three services whatever their dependencies do. */
  const expectAllAlive = async (): Promise<void> => {
    for (const service of [system.shop, system.auth, system.cart]) {
      expectStatus(await http(service).get('/health/live'), 200);
    }
  };
  /** Waits until the cookie and the Bearer token work again at the gateway, from the moment the fault was lifted. */
  const expectBothCredentialsBack = async (drill: string): Promise<void> => {
    const liftedAt = Date.now();
    const bothBack = async (): Promise<number[]> => [
      (await shop.get('/api/me', asCookie())).status,
      (await shop.get('/api/me', asBearer())).status,
    ];
    expect(await pollUntil(bothBack, (s) => s.every((x) => x === 200), WITHIN)).toEqual([200, 200]);
    expect(await ready(shop)).toBe(200);
    logRecovery(drill, Date.now() - liftedAt);
  };

  beforeAll(async () => {
    if (onServers && environment.redisUrl && environment.databaseUrl) {
      redis = await startFaultProxy(hostAndPort(environment.redisUrl, 6379));
      database = await startFaultProxy(hostAndPort(environment.databaseUrl, 5432));
    }
    const [throughRedis, throughDatabase] = [redis, database];
    const redisTimeout = { REDIS_COMMAND_TIMEOUT_MS: String(REDIS_COMMAND_TIMEOUT_MS) };
    const verifier = {
      ...redisTimeout,
      JWKS_REFRESH_INTERVAL: '1',
      JWKS_MAX_STALENESS: String(JWKS_MAX_STALENESS),
    };
    system = await startSystem({
      env: { auth: redisTimeout, gateway: verifier, cart: verifier },
      route: {
        ...(throughRedis ? { redis: (url: string) => throughRedis.via(url) } : {}),
        ...(throughDatabase ? { database: (url: string) => throughDatabase.via(url) } : {}),
      },
    });
    shop = http(system.shop);
    user = await signUp(http(system.auth), '/auth');
  });

  afterEach(() => {
    redis?.restore();
    database?.restore();
  });

  afterAll(async () => {
    await system?.stop();
    await redis?.close();
    await database?.close();
  });

  if (onServers) {
    describe('when Redis is unreachable', () => {
      it('fails closed with 503 for both credentials and logins, stays alive, and recovers without a restart', async () => {
        expectStatus(await shop.get('/api/me', asCookie()), 200);
        expectStatus(await shop.get('/api/me', asBearer()), 200);

        redis?.cut();
        expect(
          await pollUntil(
            () => ready(shop),
            (status) => status === 503,
            WITHIN,
          ),
        ).toBe(503);
        // Never a 401 that would log the user out, never a 500.
        expectProblem(await shop.get('/api/me', asCookie()), 503, 'store_unavailable');
        // The revocation feed is down too: Bearer fails closed (docs/authentication.md,
        // "Revoking access tokens").
        expectProblem(await shop.get('/api/me', asBearer()), 503, 'store_unavailable');
        await expectLoginRefused();
        await expectAllAlive();

        redis?.restore();
        await expectBothCredentialsBack('Redis cut');
        expectStatus(
          await loginWithToken(http(system.auth), user.user).then((l) => l.response),
          201,
        );
      });
    });

    describe('when Redis is slow (every reply delayed by 2 s)', () => {
      it('answers 503 within the command timeout instead of hanging, stays responsive, and recovers', async () => {
        redis?.slow(SLOW_REDIS_REPLY_MS);
        const startedAt = Date.now();
        const pending = Array.from({ length: 20 }, () => shop.get('/api/me', asCookie()));
        // The event loop is not blocked by the requests waiting on Redis.
        await expectAllAlive();
        for (const response of await Promise.all(pending)) {
          expectProblem(response, 503, 'store_unavailable');
        }
        // Bounded by REDIS_COMMAND_TIMEOUT_MS, not by Redis's 2 s.
        expect(Date.now() - startedAt).toBeLessThan(SLOW_REDIS_REPLY_MS);
        // The revocation feed goes silent too: Bearer fails closed once it is deemed lost.
        const bearer = await pollUntil(
          () => shop.get('/api/me', asBearer()),
          (response) => response.status === 503,
          WITHIN,
        );
        expectProblem(bearer, 503, 'store_unavailable');
        await expectLoginRefused();
        expect(await ready(shop)).toBe(503);

        redis?.restore();
        await expectBothCredentialsBack('Redis slow');
      });
    });

    describe('when PostgreSQL is unreachable', () => {
      it('answers 503 to what needs the database, keeps existing credentials working, and recovers', async () => {
        const auth = http(system.auth);
        database?.cut();
        expect(
          await pollUntil(
            () => ready(auth),
            (status) => status === 503,
            WITHIN,
          ),
        ).toBe(503);
        const credentials = { email: user.user.email, password: user.user.password };
        expectProblem(
          await auth.post('/auth/register', {
            email: `drill-${Date.now()}@example.com`,
            password: 'correct horse battery staple',
          }),
          503,
          'store_unavailable',
        );
        expectProblem(await auth.post('/auth/token', credentials), 503, 'store_unavailable');
        expectProblem(
          await auth.post('/auth/token/refresh', { refresh_token: user.tokens.refreshToken }),
          503,
          'store_unavailable',
        );
        // Sessions live in Redis and access tokens are verified locally.
        expectStatus(await shop.get('/api/me', asCookie()), 200);
        expectStatus(await shop.get('/api/me', asBearer()), 200);
        expectStatus(await http(system.auth).get('/health/live'), 200);

        database?.restore();
        const liftedAt = Date.now();
        const login = async (): Promise<number> =>
          (await auth.post('/auth/token', credentials)).status;
        expect(await pollUntil(login, (status) => status === 201, WITHIN)).toBe(201);
        expect(await ready(auth)).toBe(200);
        logRecovery('PostgreSQL cut', Date.now() - liftedAt);
      });
    });

    // Last of the Redis drills: it ends every session, the shared user's too.
    describe('when Redis loses its data (flushed, or restarted without persistence)', () => {
      it('ends the sessions with a clean 401 and breaks nothing else', async () => {
        const auth = http(system.auth);
        const victim = await signUp(auth);
        const cookie = { headers: { cookie: victim.session.jar.header() } };
        expectStatus(await shop.get('/api/me', cookie), 200);

        await deleteRedisKeys(environment.redisUrl ?? '', system.redisKeyPrefix);

        expectProblem(await shop.get('/api/me', cookie), 401, 'unauthenticated');
        // An access token needs no server state, and the refresh token lives in PostgreSQL.
        expectStatus(await shop.get('/api/me', { bearer: victim.tokens.accessToken }), 200);
        expectStatus(
          await auth.post('/auth/token/refresh', { refresh_token: victim.tokens.refreshToken }),
          200,
        );
        const again = await signUp(auth);
        expectStatus(
          await shop.get('/api/me', { headers: { cookie: again.session.jar.header() } }),
          200,
        );
        expect(await ready(shop)).toBe(200);
      });
    });
  }

  describe('when the auth service is down', () => {
    let authStoppedAt = 0;

    it('keeps verifying access tokens at the gateway and the cart with the keys they hold', async () => {
      const { accessToken } = await loginWithToken(http(system.auth), user.user);
      // The Redis drills above waited for the gateway to recover, not for
      // CART, whose client may still be in its reconnection backoff (up to
      // 5 s): the drill starts from a system that works everywhere.
      const atCart = async (): Promise<number> =>
        (await http(system.cart).get('/cart', { bearer: accessToken })).status;
      expect(await pollUntil(atCart, (status) => status === 200, WITHIN)).toBe(200);
      const terminated = await system.auth.terminate();
      authStoppedAt = Date.now();
      expect(terminated.code).toBe(0);

      expectStatus(await shop.get('/api/me', { bearer: accessToken }), 200);
      expectStatus(await http(system.cart).get('/cart', { bearer: accessToken }), 200);
    });

    it('refuses a token whose kid it does not hold, without waiting for AUTH', async () => {
      const forged = signEs256Jwt(
        {
          iss: system.auth.origin,
          aud: 'svt-api',
          sub: user.user.id,
          sid: 'forged',
          jti: 'forged',
          iat: epochSeconds(),
          exp: epochSeconds() + 60,
        },
        generateEs256Key('not-a-published-kid'),
        { typ: 'at+jwt' },
      );
      expectProblem(await shop.get('/api/me', { bearer: forged }), 401, 'invalid_token');
      expectProblem(await http(system.cart).get('/cart', { bearer: forged }), 401, 'invalid_token');
    });

    it('answers 503 once the keys it holds are older than JWKS_MAX_STALENESS, not 401', async () => {
      // Each verifier counts from its own last refresh.
      const bothRefuse = async (): Promise<HttpResponse[]> => [
        await shop.get('/api/me', asBearer()),
        await http(system.cart).get('/cart', asBearer()),
      ];
      const [atGateway, atCart] = await pollUntil(
        bothRefuse,
        (responses) => responses.every((response) => response.status !== 200),
        WITHIN,
      );
      expectProblem(atGateway, 503, 'store_unavailable');
      expectProblem(atCart, 503, 'store_unavailable');
      expect(await ready(shop)).toBe(503);
      process.stderr.write(
        `[drill] AUTH down: Bearer answered 503 at the gateway and CART ${Date.now() - authStoppedAt} ms after AUTH stopped (JWKS_MAX_STALENESS ${JWKS_MAX_STALENESS} s)\n`,
      );
    });
  });
});
