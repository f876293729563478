import { expectProblem, expectStatus, http, signUp, startSystem } from '@svt/shared/testing';
import type {
  CartBody,
  HttpClient,
  HttpResponse,
  SignedUpUser,
  SystemUnderTest,
} from '@svt/shared/testing';

let sut: SystemUnderTest;
let cart: HttpClient;
let user: SignedUpUser;

beforeAll(async () => {
  sut = await startSystem();
  cart = http(sut.cart);
  user = await signUp(http(sut.auth));
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

const listOf = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

describe('PUT /cart/items/:sku', () => {
  describe('with a quantity outside the integers 1–999', () => {
    it.each<[string, unknown]>([
      ['0', { quantity: 0 }],
      ['1000', { quantity: 1000 }],
      ['1.5', { quantity: 1.5 }],
      ['"2" (a string)', { quantity: '2' }],
      ['-1', { quantity: -1 }],
      ['null', { quantity: null }],
      ['missing', {}],
    ])('answers 400 validation_failed for %s', async (_label, body) => {
      const response = await cart.put('/cart/items/sku-1', body, {
        bearer: user.tokens.accessToken,
      });

      expectProblem(response, 400, 'validation_failed');
    });
  });

  describe('with a quantity at the edges', () => {
    it.each([1, 999])('accepts %d', async (quantity) => {
      const response = await cart.put<CartBody>(
        '/cart/items/edge',
        { quantity },
        { bearer: user.tokens.accessToken },
      );

      expectStatus(response, 200);
      expect(response.json?.items).toEqual(expect.arrayContaining([{ sku: 'edge', quantity }]));
    });
  });

  describe('with a bad sku', () => {
    it.each([
      ['65 characters', 'a'.repeat(65)],
      ['a space', 'sku%201'],
      ['an encoded slash', 'sku%2F1'],
    ])('answers 400 for %s', async (_label, sku) => {
      const response = await cart.put(
        `/cart/items/${sku}`,
        { quantity: 1 },
        { bearer: user.tokens.accessToken },
      );

      expectProblem(response, 400);
    });
  });

  describe('with a sku of 64 characters', () => {
    it('accepts it', async () => {
      const sku = 'b'.repeat(64);

      const response = await cart.put<CartBody>(
        `/cart/items/${sku}`,
        { quantity: 1 },
        { bearer: user.tokens.accessToken },
      );

      expectStatus(response, 200);
      expect(response.json?.items).toEqual(expect.arrayContaining([{ sku, quantity: 1 }]));
    });
  });
});

describe('CORS on CART', () => {
  const preflight = (origin: string): Promise<HttpResponse> =>
    cart.options('/cart/items/x', {
      headers: {
        origin,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'authorization,content-type',
      },
    });

  describe('a preflight from the SHOP origin', () => {
    let response: HttpResponse;

    beforeAll(async () => {
      response = await preflight(sut.shop.origin);
    });

    it('answers 2xx', () => {
      expect(response.status).toBeGreaterThanOrEqual(200);
      expect(response.status).toBeLessThan(300);
    });

    it('allows exactly the SHOP origin, with credentials', () => {
      expect(response.headers['access-control-allow-origin']).toBe(sut.shop.origin);
      expect(response.headers['access-control-allow-credentials']).toBe('true');
    });

    it('allows the Authorization and Content-Type headers and the PUT method', () => {
      expect(listOf(response.headers['access-control-allow-headers'])).toEqual(
        expect.arrayContaining(['authorization', 'content-type']),
      );
      expect(listOf(response.headers['access-control-allow-methods'])).toContain('put');
    });

    it('varies on Origin', () => {
      expect(listOf(response.headers['vary'])).toContain('origin');
    });
  });

  describe('a preflight from another origin', () => {
    it.each(['http://evil.localhost:1', 'null'])(
      'from %s gets no Access-Control-Allow-Origin',
      async (origin) => {
        const response = await preflight(origin);

        expect(response.headers['access-control-allow-origin']).toBeUndefined();
      },
    );
  });

  describe('a Bearer request from the SHOP origin', () => {
    it('is answered with Access-Control-Allow-Origin: SHOP and Vary: Origin', async () => {
      const response = await cart.get('/cart', {
        bearer: user.tokens.accessToken,
        headers: { origin: sut.shop.origin },
      });

      expectStatus(response, 200);
      expect(response.headers['access-control-allow-origin']).toBe(sut.shop.origin);
      expect(listOf(response.headers['vary'])).toContain('origin');
    });
  });
});

describe('GET /health/*', () => {
  it.each(['/health/live', '/health/ready'])('%s answers 200', async (path) => {
    expectStatus(await cart.get(path), 200);
  });
});
