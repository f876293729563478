import { setTimeout as delay } from 'node:timers/promises';
import type {
  HttpClient,
  HttpResponse,
  ReplicatedSystem,
  ServiceName,
  SignedUpUser,
  TokenBody,
} from '@svt/shared/testing';
import {
  csrfHeaders,
  describeResponse,
  http,
  signUp,
  startReplicatedSystem,
} from '@svt/shared/testing';

/** Every kind of request the load sends; each must run often enough to have met the restarts. */
const KINDS = [
  'GET /api/me with Bearer',
  'GET /api/me with the session cookie',
  'PUT /api/cart/items with the session cookie',
  'GET /api/cart with Bearer',
  'GET /cart on CART with Bearer',
  'POST /auth/token/refresh on AUTH',
  'POST /auth/token on AUTH',
] as const;
type Kind = (typeof KINDS)[number];

/** Far from what the restarts take, yet a kind that stalled for a whole restart would miss it. */
const AT_LEAST = 50;

/** Requests in flight at once, one per loop, each paced by a short pause. */
class Load {
  readonly counts = new Map<Kind, number>(KINDS.map((kind) => [kind, 0]));
  readonly failures: string[] = [];
  private running = true;
  private readonly loops: Promise<void>[] = [];
  private readonly startedAt = Date.now();

  loop(pauseMs: number, steps: readonly [Kind, () => Promise<HttpResponse<unknown>>][]): void {
    this.loops.push(
      (async () => {
        for (let i = 0; this.running; i++) {
          const [kind, send] = steps[i % steps.length];
          await this.send(kind, send);
          await delay(pauseMs);
        }
      })(),
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  get total(): number {
    return [...this.counts.values()].reduce((sum, n) => sum + n, 0);
  }

  private async send(kind: Kind, send: () => Promise<HttpResponse<unknown>>): Promise<void> {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    const at = `+${Date.now() - this.startedAt} ms`;
    try {
      const response = await send();
      if (response.status < 200 || response.status > 299) {
        this.failures.push(`${at} ${kind}: ${describeResponse(response, 300)}`);
      }
    } catch (error) {
      this.failures.push(
        `${at} ${kind}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

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

    const load = new Load();
    load.loop(10, [['GET /api/me with Bearer', () => shop.get('/api/me', bearer)]]);
    load.loop(10, [['GET /api/me with the session cookie', () => shop.get('/api/me', cookie)]]);
    load.loop(10, [
      [
        'PUT /api/cart/items with the session cookie',
        () =>
          shop.put(
            `/api/cart/items/sku-${sku++ % 5}`,
            { quantity: 1 + (sku % 3) },
            { ...cookie, headers: csrfHeaders(system.shop.origin, user.session.csrfToken) },
          ),
      ],
      ['GET /api/cart with Bearer', () => shop.get('/api/cart', bearer)],
    ]);
    load.loop(10, [['GET /cart on CART with Bearer', () => cart.get('/cart', bearer)]]);
    const refresh = async (): Promise<HttpResponse<TokenBody>> => {
      const response = await auth.post<TokenBody>('/auth/token/refresh', {
        refresh_token: refreshToken,
      });
      refreshToken = response.json?.refresh_token ?? refreshToken;
      return response;
    };
    const login = (): Promise<HttpResponse<TokenBody>> =>
      auth.post<TokenBody>('/auth/token', {
        email: user.user.email,
        password: user.user.password,
      });
    load.loop(40, [
      ['POST /auth/token/refresh on AUTH', refresh],
      ['POST /auth/token/refresh on AUTH', refresh],
      ['POST /auth/token/refresh on AUTH', refresh],
      ['POST /auth/token on AUTH', login],
    ]);

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
    await load.stop();

    process.stderr.write(
      `\n[rolling restart] ${system.backend}: ${load.total} requests, ${load.failures.length} failed; ` +
        `the restart of ${restarts.length} replicas took ${restartMs} ms (${restarts.join(', ')})\n` +
        `  ${[...load.counts].map(([kind, n]) => `${kind}: ${n}`).join('\n  ')}\n`,
    );

    // Every replica was replaced by a new process.
    for (const [name, pids] of before) {
      const now = system.replicas[name].map((replica) => replica.pid);
      expect(now.filter((pid) => pids.includes(pid))).toEqual([]);
    }
    expect(load.failures).toEqual([]);
    const rare = [...load.counts].filter(([, n]) => n <= AT_LEAST);
    expect(rare).toEqual([]);
  }, 300_000);
});
