import { calculateJwkThumbprint } from 'jose';
import {
  decodeJwt,
  dpopHeaders,
  dpopProof,
  dpopRequest,
  expectProblem,
  expectStatus,
  generateDpopKey,
  htuOf,
  http,
  loginWithDpop,
  loginWithToken,
  pollUntil,
  refreshWithDpop,
  registerUser,
  startSystem,
} from '@svt/shared/testing';
import type {
  AuthMeBody,
  CartBody,
  DpopKey,
  GatewayMeBody,
  HttpClient,
  HttpResponse,
  RegisteredUser,
  SystemUnderTest,
  TokenBody,
} from '@svt/shared/testing';

/**
 * DPoP (RFC 9449) as a client uses it through SHOP and directly at CART and
 * AUTH: a token bound to the client's key, proofs per request, refresh, the
 * nonce dance, and the switches DPOP_NONCE_REQUIRED and DPOP_REQUIRED. The
 * rules are in docs/dpop.md; the refusals in security-e2e's rfc9449-dpop
 * suite.
 */

let sut: SystemUnderTest;
let shop: HttpClient;
let auth: HttpClient;
let cart: HttpClient;

beforeAll(async () => {
  // Replicas start while the system runs, on a machine other suites share.
  sut = await startSystem({ readyTimeoutMs: 120_000 });
  shop = http(sut.shop);
  auth = http(sut.auth);
  cart = http(sut.cart);
}, 300_000);

afterAll(async () => {
  await sut?.stop();
});

/** How long a revocation may take to reach the gateway and CART (a push; a 200 ms poll when embedded). */
const REVOCATION_PUSH_MS = 1_000;

/** A new user and a key, logged in with a proof through the gateway. */
async function dpopUser(client: HttpClient = shop, basePath = '/api/auth') {
  const user = await registerUser(client, undefined, basePath);
  const key = await generateDpopKey();
  const login = await loginWithDpop(client, key, user, basePath);
  return { user, key, login };
}

describe('a token login with a DPoP proof (RFC 9449 §5)', () => {
  it.each<[string, () => HttpClient, string]>([
    ['through the gateway', () => shop, '/api/auth'],
    ['directly at AUTH', () => auth, '/auth'],
  ])(
    '%s answers token_type DPoP, and the access token is bound to the thumbprint of the key',
    async (_name, client, basePath) => {
      const user = await registerUser(client(), undefined, basePath);
      const key = await generateDpopKey();
      const proof = await dpopProof(key, {
        htm: 'POST',
        htu: htuOf(client(), `${basePath}/token`),
      });

      const response = await client().post<TokenBody>(
        `${basePath}/token`,
        { email: user.email, password: user.password },
        { headers: dpopHeaders(proof) },
      );

      expectStatus(response, 201);
      expect(response.json).toEqual({
        access_token: expect.any(String),
        token_type: 'DPoP',
        expires_in: expect.any(Number),
        refresh_token: expect.any(String),
      });
      const claims = decodeJwt(response.json?.access_token ?? '').payload;
      expect(claims['cnf']).toEqual({ jkt: await calculateJwkThumbprint(key.publicJwk, 'sha256') });
      expect(claims['sub']).toBe(user.id);
    },
  );
});

describe('requests with a DPoP-bound access token', () => {
  let user: RegisteredUser;
  let key: DpopKey;
  let accessToken: string;

  beforeAll(async () => {
    ({ user, key } = await dpopUser());
    accessToken = (await loginWithDpop(shop, key, user, '/api/auth')).accessToken;
  });

  const call = <T>(client: HttpClient, method: string, path: string, json?: unknown) =>
    dpopRequest<T>(client, key, { method, path, json, accessToken });

  it("GET /api/me answers the user with method 'dpop'", async () => {
    const response = await call<GatewayMeBody>(shop, 'GET', '/api/me');

    expectStatus(response, 200);
    expect(response.json).toEqual({ userId: user.id, method: 'dpop' });
  });

  it('GET /api/auth/me (AUTH through the gateway, htu on SHOP) answers the user', async () => {
    const response = await call<AuthMeBody>(shop, 'GET', '/api/auth/me');

    expectStatus(response, 200);
    expect(response.json).toEqual(expect.objectContaining({ id: user.id, email: user.email }));
  });

  it('GET /auth/me directly at AUTH (htu on AUTH) answers the user', async () => {
    const response = await call<AuthMeBody>(auth, 'GET', '/auth/me');

    expectStatus(response, 200);
    expect(response.json).toEqual(expect.objectContaining({ id: user.id }));
  });

  it('accepts the scheme in lower case (RFC 7235 §2.1: schemes are case-insensitive)', async () => {
    const proof = await dpopProof(key, { htm: 'GET', htu: htuOf(shop, '/api/me'), accessToken });

    const response = await shop.get<GatewayMeBody>('/api/me', {
      headers: { authorization: `dpop ${accessToken}`, dpop: proof },
    });

    expectStatus(response, 200);
    expect(response.json?.method).toBe('dpop');
  });

  it('leaves the query out of htu (RFC 9449 §4.3): a proof without it answers a request with one', async () => {
    const proof = await dpopProof(key, { htm: 'GET', htu: htuOf(shop, '/api/me'), accessToken });

    expectStatus(
      await shop.get('/api/me?view=full', { headers: dpopHeaders(proof, accessToken) }),
      200,
    );
  });

  it('writes and reads the cart through the gateway, a proof per request', async () => {
    const put = await call<CartBody>(shop, 'PUT', '/api/cart/items/tea', { quantity: 3 });
    expectStatus(put, 200);
    expect(put.json?.items).toEqual([{ sku: 'tea', quantity: 3 }]);

    const get = await call<CartBody>(shop, 'GET', '/api/cart');
    expectStatus(get, 200);
    expect(get.json?.items).toEqual([{ sku: 'tea', quantity: 3 }]);

    const removed = await call<CartBody>(shop, 'DELETE', '/api/cart/items/tea');
    expectStatus(removed, 200);
    expect(removed.json?.items).toEqual([]);
  });

  it("calls CART directly with a proof for CART's URL, and sees the same cart as through the gateway", async () => {
    expectStatus(await call(shop, 'PUT', '/api/cart/items/coffee', { quantity: 2 }), 200);

    const direct = await call<CartBody>(cart, 'GET', '/cart');
    expectStatus(direct, 200);
    expect(direct.json?.items).toEqual([{ sku: 'coffee', quantity: 2 }]);

    const written = await call<CartBody>(cart, 'PUT', '/cart/items/coffee', { quantity: 5 });
    expectStatus(written, 200);
    const viaGateway = await call<CartBody>(shop, 'GET', '/api/cart');
    expect(viaGateway.json?.items).toEqual([{ sku: 'coffee', quantity: 5 }]);
  });
});

describe("a page on SHOP calling CART with DPoP (CART's CORS)", () => {
  const headerList = (value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim().toLowerCase())
      .filter(Boolean);

  it('a preflight from SHOP for a PUT with Authorization and DPoP is allowed', async () => {
    const response = await cart.options('/cart/items/tea', {
      headers: {
        origin: sut.shop.origin,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'authorization,content-type,dpop',
      },
    });

    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
    expect(response.headers['access-control-allow-origin']).toBe(sut.shop.origin);
    expect(headerList(response.headers['access-control-allow-headers'])).toEqual(
      expect.arrayContaining(['authorization', 'dpop']),
    );
  });

  it('a DPoP request from SHOP is answered with DPoP-Nonce exposed to the page', async () => {
    const { key, login } = await dpopUser();

    const response = await dpopRequest(cart, key, {
      method: 'GET',
      path: '/cart',
      accessToken: login.accessToken,
      headers: { origin: sut.shop.origin },
    });

    expectStatus(response, 200);
    expect(response.headers['access-control-allow-origin']).toBe(sut.shop.origin);
    expect(headerList(response.headers['access-control-expose-headers'])).toContain('dpop-nonce');
  });
});

describe('refresh of a DPoP family with a proof by its key', () => {
  it.each<[string, () => HttpClient, string]>([
    ['through the gateway', () => shop, '/api/auth'],
    ['directly at AUTH', () => auth, '/auth'],
  ])(
    '%s answers a new DPoP pair bound to the same key, and the new access token works',
    async (_name, client, basePath) => {
      const { user, key, login } = await dpopUser(client(), basePath);

      const response = await refreshWithDpop(client(), key, login.refreshToken, basePath);

      expectStatus(response, 200);
      expect(response.json?.token_type).toBe('DPoP');
      expect(response.json?.refresh_token).not.toBe(login.refreshToken);
      const accessToken = response.json?.access_token ?? '';
      expect(decodeJwt(accessToken).payload['cnf']).toEqual({ jkt: key.thumbprint });
      const me = await dpopRequest<GatewayMeBody>(shop, key, {
        method: 'GET',
        path: '/api/me',
        accessToken,
      });
      expectStatus(me, 200);
      expect(me.json).toEqual({ userId: user.id, method: 'dpop' });
    },
  );

  it('lets the successor refresh in turn', async () => {
    const { key, login } = await dpopUser();
    const first = await refreshWithDpop(shop, key, login.refreshToken, '/api/auth');
    expectStatus(first, 200);

    const second = await refreshWithDpop(shop, key, first.json?.refresh_token ?? '', '/api/auth');

    expectStatus(second, 200);
    expect(second.json?.token_type).toBe('DPoP');
  });
});

describe('unbound Bearer tokens (DPoP is optional by default)', () => {
  it("still log in as Bearer and call /api/me, the cart and CART with method 'bearer'", async () => {
    const user = await registerUser(shop, undefined, '/api/auth');

    const login = await loginWithToken(shop, user, '/api/auth');

    expect(login.response.json?.token_type).toBe('Bearer');
    expect(decodeJwt(login.accessToken).payload).not.toHaveProperty('cnf');
    const me = await shop.get<GatewayMeBody>('/api/me', { bearer: login.accessToken });
    expectStatus(me, 200);
    expect(me.json).toEqual({ userId: user.id, method: 'bearer' });
    expectStatus(await shop.get('/api/cart', { bearer: login.accessToken }), 200);
    expectStatus(await cart.get('/cart', { bearer: login.accessToken }), 200);
    expectStatus(await auth.get('/auth/me', { bearer: login.accessToken }), 200);
  });
});

describe('ending a DPoP family ends its access tokens (the denylist applies to DPoP)', () => {
  const verifiers: [string, () => HttpClient, string][] = [
    ['the gateway', () => shop, '/api/me'],
    ['CART', () => cart, '/cart'],
    ['AUTH', () => auth, '/auth/me'],
  ];

  /** Asks with a fresh proof until refused or the revocation had its time; the caller asserts. */
  const onceRevoked = (client: HttpClient, path: string, key: DpopKey, accessToken: string) =>
    pollUntil(
      () => dpopRequest(client, key, { method: 'GET', path, accessToken }),
      (response: HttpResponse) => response.status !== 200,
      { timeoutMs: REVOCATION_PUSH_MS, intervalMs: 50 },
    );

  it('DELETE /api/auth/sessions/:sid refuses the family everywhere with 401 invalid_token, and leaves another family alone', async () => {
    const { user, key, login } = await dpopUser();
    const other = await loginWithDpop(shop, key, user, '/api/auth');
    for (const [, client, path] of verifiers) {
      expectStatus(
        await dpopRequest(client(), key, {
          method: 'GET',
          path,
          accessToken: login.accessToken,
        }),
        200,
      );
    }
    const sid = String(decodeJwt(login.accessToken).payload['sid']);

    const ended = await dpopRequest(shop, key, {
      method: 'DELETE',
      path: `/api/auth/sessions/${sid}`,
      accessToken: other.accessToken,
    });

    expectStatus(ended, 204);
    for (const [, client, path] of verifiers) {
      expectProblem(
        await onceRevoked(client(), path, key, login.accessToken),
        401,
        'invalid_token',
      );
    }
    expectStatus(
      await dpopRequest(shop, key, {
        method: 'GET',
        path: '/api/me',
        accessToken: other.accessToken,
      }),
      200,
    );
    expectProblem(
      await refreshWithDpop(shop, key, login.refreshToken, '/api/auth'),
      401,
      'invalid_refresh_token',
    );
  });

  it('POST /api/auth/logout-all with a DPoP token refuses every family of the user everywhere', async () => {
    const { user, key, login } = await dpopUser();
    const other = await loginWithDpop(auth, key, user);

    const response = await dpopRequest(shop, key, {
      method: 'POST',
      path: '/api/auth/logout-all',
      accessToken: login.accessToken,
    });

    expectStatus(response, 204);
    for (const accessToken of [login.accessToken, other.accessToken]) {
      for (const [, client, path] of verifiers) {
        expectProblem(await onceRevoked(client(), path, key, accessToken), 401, 'invalid_token');
      }
    }
  });
});

describe('DPOP_NONCE_REQUIRED=true: the nonce dance (RFC 9449 §8, §9)', () => {
  const nonceEnv = { DPOP_NONCE_REQUIRED: 'true' };
  let gateways: HttpClient[];
  let auths: HttpClient[];
  let user: RegisteredUser;
  let key: DpopKey;
  let accessToken: string;

  beforeAll(async () => {
    const started = await Promise.all([
      sut.startReplica('gateway', nonceEnv),
      sut.startReplica('gateway', nonceEnv),
      sut.startReplica('auth', nonceEnv),
      sut.startReplica('auth', nonceEnv),
    ]);
    const clients = started.map((service) => http(service));
    gateways = clients.slice(0, 2);
    auths = clients.slice(2);
    ({ user, key } = await dpopUser());
    accessToken = (await loginWithDpop(auth, key, user)).accessToken;
  }, 300_000);

  const getMe = async (gateway: HttpClient, nonce?: string) => {
    const proof = await dpopProof(key, {
      htm: 'GET',
      htu: htuOf(gateway, '/api/me'),
      accessToken,
      nonce,
    });
    return gateway.get<GatewayMeBody>('/api/me', { headers: dpopHeaders(proof, accessToken) });
  };

  const login = async (authReplica: HttpClient, nonce?: string) => {
    const proof = await dpopProof(key, {
      htm: 'POST',
      htu: htuOf(authReplica, '/auth/token'),
      nonce,
    });
    return authReplica.post<TokenBody>(
      '/auth/token',
      { email: user.email, password: user.password },
      { headers: dpopHeaders(proof) },
    );
  };

  it('a resource call first answers 401 use_dpop_nonce with a DPoP-Nonce; the retry with it succeeds', async () => {
    const first = await getMe(gateways[0]);
    expectProblem(first, 401, 'use_dpop_nonce');
    const nonce = first.headers['dpop-nonce'];
    expect(nonce).toMatch(/^\S+$/);

    const retry = await getMe(gateways[0], nonce);

    expectStatus(retry, 200);
    expect(retry.json).toEqual({ userId: user.id, method: 'dpop' });
  });

  it("the gateway's nonce works at a second replica of the gateway", async () => {
    const nonce = (await getMe(gateways[0])).headers['dpop-nonce'];

    expectStatus(await getMe(gateways[1], nonce), 200);
  });

  it('a token login first answers 400 use_dpop_nonce with a DPoP-Nonce; the retry with it gets a DPoP token', async () => {
    const first = await login(auths[0]);
    expectProblem(first, 400, 'use_dpop_nonce');
    const nonce = first.headers['dpop-nonce'];
    expect(nonce).toMatch(/^\S+$/);

    const retry = await login(auths[0], nonce);

    expectStatus(retry, 201);
    expect(retry.json?.token_type).toBe('DPoP');
  });

  it("AUTH's nonce works at a second replica of AUTH", async () => {
    const nonce = (await login(auths[0])).headers['dpop-nonce'];

    const response = await login(auths[1], nonce);

    expectStatus(response, 201);
    expect(response.json?.token_type).toBe('DPoP');
  });

  it('loginWithDpop and dpopRequestWithNonce do the dance for a client', async () => {
    const tokens = await loginWithDpop(auths[1], key, user);

    expect(tokens.tokenType).toBe('DPoP');
    expect(tokens.response.status).toBe(201);
  });
});

describe('DPOP_REQUIRED=true on AUTH and the gateway', () => {
  const requiredEnv = { DPOP_REQUIRED: 'true' };
  let strictAuth: HttpClient;
  let strictGateway: HttpClient;
  let user: RegisteredUser;

  beforeAll(async () => {
    const [authReplica, gatewayReplica] = await Promise.all([
      sut.startReplica('auth', requiredEnv),
      sut.startReplica('gateway', requiredEnv),
    ]);
    strictAuth = http(authReplica);
    strictGateway = http(gatewayReplica);
    user = await registerUser(auth);
  }, 300_000);

  it('refuses a token login without a proof with 400 invalid_dpop_proof and no token', async () => {
    const response = await strictAuth.post<TokenBody>('/auth/token', {
      email: user.email,
      password: user.password,
    });

    expectProblem(response, 400, 'invalid_dpop_proof');
    expect(response.json).not.toHaveProperty('access_token');
  });

  it('refuses a refresh without a proof with 400 invalid_dpop_proof', async () => {
    const plain = await loginWithToken(auth, user);

    const response = await strictAuth.post<TokenBody>('/auth/token/refresh', {
      refresh_token: plain.refreshToken,
    });

    expectProblem(response, 400, 'invalid_dpop_proof');
  });

  // RFC 9110 §11.6.1: a 401's challenges are the schemes that can work here, and Bearer no longer can.
  it('refuses a Bearer access token with 401 and a DPoP challenge at the gateway and at AUTH', async () => {
    const plain = await loginWithToken(auth, user);

    for (const [client, path] of [
      [strictGateway, '/api/me'],
      [strictAuth, '/auth/me'],
    ] as const) {
      const response = await client.get(path, { bearer: plain.accessToken });
      expectProblem(response, 401);
      expect(response.headers['www-authenticate']).toMatch(/^DPoP\b|,\s*DPoP\b/);
      expect(response.headers['www-authenticate']).not.toMatch(/^Bearer\b|,\s*Bearer\b/);
    }
  });

  it('answers a request without a credential with 401 and a DPoP challenge, not a Bearer one', async () => {
    for (const [client, path] of [
      [strictGateway, '/api/me'],
      [strictAuth, '/auth/me'],
    ] as const) {
      const response = await client.get(path);
      expectProblem(response, 401, 'unauthenticated');
      expect(response.headers['www-authenticate']).toMatch(/^DPoP\b|,\s*DPoP\b/);
      expect(response.headers['www-authenticate']).not.toMatch(/^Bearer\b|,\s*Bearer\b/);
    }
  });

  it('still logs in with a proof, and the bound token works at the gateway', async () => {
    const key = await generateDpopKey();

    const login = await loginWithDpop(strictAuth, key, user);

    expect(login.tokenType).toBe('DPoP');
    const me = await dpopRequest<GatewayMeBody>(strictGateway, key, {
      method: 'GET',
      path: '/api/me',
      accessToken: login.accessToken,
    });
    expectStatus(me, 200);
    expect(me.json).toEqual({ userId: user.id, method: 'dpop' });
  });
});
