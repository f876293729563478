import { setTimeout as delay } from 'node:timers/promises';
import type {
  HttpClient,
  ReplicatedSystem,
  ServiceName,
  SignedUpUser,
  TokenBody,
} from '@svt/shared/testing';
import {
  csrfHeaders,
  http,
  signUp,
  startReplicatedSystem,
  startTraffic,
} from '@svt/shared/testing';

/** Far from what the restarts take, yet a kind that stalled for a whole restart would miss it. */
const AT_LEAST = 50;

describe('a rolling restart behind the load balancers', () => {
  let system: ReplicatedSystem;
  let shop: HttpClient;
  let auth: HttpClient;
  let cart: HttpClient;
  let user: SignedUpUser;

  beforeAll(async () => {
    system = await startReplicatedSystem({ replicas: 2 });
    shop = http(system.shop);
    auth = http(system.auth);
    cart = http(system.cart);
    user = await signUp(shop, '/api/auth');
  }, 180_000);

  afterAll(async () => {
    await system?.stop();
  });

  it('restarts every replica of every service, one at a time, without failing a single request', async () => {
    const bearer = { bearer: user.tokens.accessToken };
    const cookie = { jar: user.session.jar };
    let refreshToken = user.tokens.refreshToken;
    let sku = 0;

    const csrf = { ...cookie, headers: csrfHeaders(system.shop.origin, user.session.csrfToken) };
    const requests = {
      'GET /api/me with Bearer': () => shop.get('/api/me', bearer),
      'GET /api/me with the session cookie': () => shop.get('/api/me', cookie),
      'PUT /api/cart/items with the session cookie': () =>
        shop.put(`/api/cart/items/sku-${sku++ % 5}`, { quantity: 1 + (sku % 3) }, csrf),
      'GET /api/cart with Bearer': () => shop.get('/api/cart', bearer),
      'GET /cart on CART with Bearer': () => cart.get('/cart', bearer),
      // One loop: each refresh spends the token the previous one returned.
      'POST /auth/token/refresh on AUTH': async () => {
        const response = await auth.post<TokenBody>('/auth/token/refresh', {
          refresh_token: refreshToken,
        });
        refreshToken = response.json?.refresh_token ?? refreshToken;
        return response;
      },
    };
    const load = startTraffic(requests, { loops: 1, pauseMs: 10 });
    // An argon2id hash each: a slower pace.
    const logins = startTraffic(
      {
        'POST /auth/token on AUTH': () =>
          auth.post('/auth/token', { email: user.user.email, password: user.user.password }),
      },
      { loops: 1, pauseMs: 150 },
    );

    // Steady load before the first restart and after the last.
    await delay(1_000);
    const before = new Map(
      (['auth', 'cart', 'gateway'] as const).map((name) => [
        name,
        system.replicas[name].map((replica) => replica.pid),
      ]),
    );
    const started = Date.now();
    const restarts: string[] = [];
    for (const name of ['auth', 'cart', 'gateway'] as const satisfies readonly ServiceName[]) {
      for (let index = 0; index < system.replicas[name].length; index++) {
        const began = Date.now();
        await system.restartReplica(name, index);
        restarts.push(`${name}-${index + 1} ${Date.now() - began} ms`);
      }
    }
    const restartMs = Date.now() - started;
    await delay(1_000);
    const reports = await Promise.all([load.stop(), logins.stop()]);
    const succeeded = Object.entries(
      Object.assign({}, ...reports.map((report) => report.succeeded)) as Record<string, number>,
    );
    const failures = reports.flatMap((report) => report.failures);
    const total = succeeded.reduce((sum, [, n]) => sum + n, 0);

    process.stderr.write(
      `\n[rolling restart] ${system.backend}: ${total} requests succeeded, ${failures.length} failed; ` +
        `the restart of ${restarts.length} replicas took ${restartMs} ms (${restarts.join(', ')})\n` +
        `  ${succeeded.map(([kind, n]) => `${kind}: ${n}`).join('\n  ')}\n`,
    );

    // Every replica was replaced by a new process.
    for (const [name, pids] of before) {
      const now = system.replicas[name].map((replica) => replica.pid);
      expect(now.filter((pid) => pids.includes(pid))).toEqual([]);
    }
    expect(failures).toEqual([]);
    const rare = succeeded.filter(([, n]) => n <= AT_LEAST);
    expect(rare).toEqual([]);
  }, 300_000);
});
