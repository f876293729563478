import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  csrfHeaders,
  expectProblem,
  expectStatus,
  http,
  putCartItem,
  signUp,
  startSystem,
} from '@svt/shared/testing';
import type { HttpClient, SignedUpUser, SystemUnderTest } from '@svt/shared/testing';

/** Lines of a service's output that are JSON objects (pino's, and the audit log's). */
function jsonLines(output: string): Record<string, unknown>[] {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

describe('logs, metrics and health of a running system', () => {
  let sut: SystemUnderTest;
  let shop: HttpClient;
  let alice: SignedUpUser;
  let requestId: string;

  beforeAll(async () => {
    // `development` logs one line per request (tests run quieter by default).
    const env = { NODE_ENV: 'development' };
    sut = await startSystem({ env: { auth: env, gateway: env, cart: env } });
    shop = http(sut.shop);
    alice = await signUp(shop, '/api/auth');
    await putCartItem(shop, '/api/cart/items/tea', 2, alice.tokens.accessToken);
    const cookieCall = await shop.get('/api/cart', {
      jar: alice.session.jar,
      headers: { 'x-request-id': 'chosen-by-the-client' },
    });
    expectStatus(cookieCall, 200);
    requestId = cookieCall.headers['x-request-id'] ?? '';
    await shop.put(
      '/api/cart/items/tea',
      { quantity: 3 },
      { jar: alice.session.jar, headers: csrfHeaders(sut.shop.origin, alice.session.csrfToken) },
    );
  }, 120_000);

  afterAll(async () => {
    await sut?.stop();
  });

  describe('structured logs', () => {
    it('writes one JSON line per request, with its id, method, path and status', () => {
      const lines = jsonLines(sut.shop.output()).filter(
        (line) => line['msg'] === 'request completed',
      );
      expect(lines.length).toBeGreaterThan(0);
      expect(lines[0]).toMatchObject({
        req: { id: expect.any(String), method: expect.any(String), path: expect.any(String) },
        res: { statusCode: expect.any(Number) },
        responseTime: expect.any(Number),
      });
    });

    it('makes its own request id at the edge, and the cart logs the same one', () => {
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      const carry = (output: string): boolean =>
        jsonLines(output).some(
          (line) => (line['req'] as { id?: string } | undefined)?.id === requestId,
        );
      expect(carry(sut.shop.output())).toBe(true);
      expect(carry(sut.cart.output())).toBe(true);
    });

    it('never logs a password, token, session id or CSRF token', () => {
      const logs = [sut.auth, sut.shop, sut.cart].map((service) => service.output()).join('\n');
      for (const secret of [
        alice.user.password,
        alice.tokens.accessToken,
        alice.tokens.refreshToken,
        alice.session.sessionId,
        alice.session.csrfToken,
      ]) {
        expect(logs).not.toContain(secret);
      }
    });
  });

  describe('GET /metrics on the internal metrics port', () => {
    it('exposes request latency and authentication outcomes by method and result', async () => {
      const response = await http(sut.shop.metrics).get('/metrics');

      expectStatus(response, 200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(response.text).toMatch(/http_request_duration_seconds_bucket\{.*route="\/api\/cart"/);
      expect(response.text).toMatch(
        /authn_outcomes_total\{method="bearer",result="authenticated"\} [1-9]/,
      );
      expect(response.text).toMatch(
        /authn_outcomes_total\{method="session",result="authenticated"\} [1-9]/,
      );
      expect(response.text).toMatch(
        /authn_store_duration_seconds_count\{store="sessions",operation="find",outcome="ok"\} [1-9]/,
      );
      expect(response.text).toMatch(/jwks_fetch_duration_seconds_count\{outcome="ok"\} [1-9]/);
    });

    it('times the requests of the public port only', async () => {
      const response = await http(sut.auth.metrics).get('/metrics');
      expectStatus(response, 200);
      expect(response.text).toMatch(/http_request_duration_seconds_count\{.*route="\/auth\/token"/);
      expect(response.text).not.toMatch(/route="\/metrics"/);
    });

    it('answers anything but /metrics with a 404 problem', async () => {
      expectProblem(await http(sut.shop.metrics).get('/health/ready'), 404, 'not_found');
      expectProblem(await http(sut.shop.metrics).get('/docs'), 404, 'not_found');
    });

    it('counts the identity tokens the cart accepted from the gateway', async () => {
      const response = await http(sut.cart.metrics).get('/metrics');
      expect(response.text).toMatch(
        /authn_outcomes_total\{method="identity",result="authenticated"\} [1-9]/,
      );
    });
  });

  describe('the public port', () => {
    it.each(['auth', 'gateway', 'cart'] as const)('of %s answers 404 on /metrics', async (name) => {
      const service = name === 'gateway' ? sut.shop : sut[name];
      expectProblem(await http(service).get('/metrics'), 404, 'not_found');
    });
  });

  describe('health', () => {
    it.each([
      ['auth', ['database', 'sessions', 'signing-keys']],
      ['gateway', ['sessions', 'auth-jwks']],
      ['cart', ['database', 'sessions', 'auth-jwks']],
    ] as const)('%s is ready, every dependency up', async (name, dependencies) => {
      const service = name === 'gateway' ? sut.shop : sut[name];
      const response = await http(service).get('/health/ready');

      expectStatus(response, 200);
      expect(response.json).toMatchObject({
        status: 'ok',
        info: Object.fromEntries(dependencies.map((d) => [d, { status: 'up' }])),
      });
    });

    it('is live without looking at any dependency', async () => {
      const response = await shop.get('/health/live');
      expectStatus(response, 200);
      expect(response.json).toMatchObject({ status: 'ok', details: {} });
    });
  });
});

describe('graceful shutdown', () => {
  let sut: SystemUnderTest;
  let slowCart: Server;
  let requestArrived: () => void;
  const arrived = new Promise<void>((resolve) => (requestArrived = resolve));

  beforeAll(async () => {
    // A stand-in for CART that answers after a second: a request through the
    // gateway is in flight while the gateway is asked to stop.
    slowCart = createServer((_request, response) => {
      requestArrived();
      setTimeout(() => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ items: [], updatedAt: null }));
      }, 1_000);
    });
    await new Promise<void>((resolve) => slowCart.listen(0, '127.0.0.1', resolve));
    const cartUrl = `http://127.0.0.1:${(slowCart.address() as AddressInfo).port}`;
    sut = await startSystem({ env: { gateway: { CART_URL: cartUrl } } });
  }, 120_000);

  afterAll(async () => {
    await sut?.stop();
    await new Promise((resolve) => slowCart?.close(resolve));
  });

  it('lets the request in flight at SIGTERM finish, then exits 0', async () => {
    const shop = http(sut.shop);
    const alice = await signUp(shop, '/api/auth');

    const inFlight = shop.get('/api/cart', { bearer: alice.tokens.accessToken });
    await arrived;
    const exit = sut.shop.terminate();

    const response = await inFlight;
    expectStatus(response, 200);
    expect(response.json).toEqual({ items: [], updatedAt: null });
    await expect(exit).resolves.toEqual({ code: 0, signal: null });
  });
});
