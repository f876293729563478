import {
  csrfHeaders,
  expectProblem,
  expectStatus,
  http,
  putCartItem,
  signUp,
  startSystem,
} from '@svt/shared/testing';
import type { CartBody, HttpClient, SignedUpUser, SystemUnderTest } from '@svt/shared/testing';

let sut: SystemUnderTest;
let shop: HttpClient;
let cart: HttpClient;

beforeAll(async () => {
  sut = await startSystem();
  shop = http(sut.shop);
  cart = http(sut.cart);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

const newUser = () => signUp(shop, '/api/auth');

type Credential = 'cookie' | 'bearer';

/** Request options that authenticate `user` with one credential (plus what a cookie needs for writes). */
function as(user: SignedUpUser, credential: Credential) {
  return credential === 'cookie'
    ? { jar: user.session.jar, headers: csrfHeaders(sut.shop.origin, user.session.csrfToken) }
    : { bearer: user.tokens.accessToken };
}

describe('/api/cart on SHOP', () => {
  describe.each<Credential>(['cookie', 'bearer'])('with the %s', (credential) => {
    let user: SignedUpUser;

    beforeAll(async () => {
      user = await newUser();
    });

    it('GET /api/cart answers 200 with an empty cart for a new user', async () => {
      const response = await shop.get<CartBody>('/api/cart', as(user, credential));

      expectStatus(response, 200);
      expect(response.json).toEqual({ items: [], updatedAt: null });
    });

    it('PUT /api/cart/items/sku-1 answers 200 with the whole cart', async () => {
      const response = await shop.put<CartBody>(
        '/api/cart/items/sku-1',
        { quantity: 2 },
        as(user, credential),
      );

      expectStatus(response, 200);
      expect(response.json).toEqual({
        items: [{ sku: 'sku-1', quantity: 2 }],
        updatedAt: expect.any(String),
      });
      expect(Number.isNaN(Date.parse(response.json?.updatedAt ?? ''))).toBe(false);
    });

    it('PUT again replaces the quantity, and GET shows it', async () => {
      await shop.put('/api/cart/items/sku-1', { quantity: 5 }, as(user, credential));

      const response = await shop.get<CartBody>('/api/cart', as(user, credential));

      expect(response.json?.items).toEqual([{ sku: 'sku-1', quantity: 5 }]);
    });

    it('DELETE /api/cart/items/sku-1 answers 200 with the cart without it', async () => {
      await shop.put('/api/cart/items/sku-2', { quantity: 1 }, as(user, credential));

      const response = await shop.delete<CartBody>('/api/cart/items/sku-1', as(user, credential));

      expectStatus(response, 200);
      expect(response.json?.items).toEqual([{ sku: 'sku-2', quantity: 1 }]);
    });

    it('DELETE /api/cart answers 204, and the cart is empty afterwards', async () => {
      const response = await shop.delete('/api/cart', as(user, credential));
      const after = await shop.get<CartBody>('/api/cart', as(user, credential));

      expectStatus(response, 204);
      expect(after.json?.items).toEqual([]);
    });
  });

  describe('without any credential', () => {
    it.each([
      ['GET', '/api/cart'],
      ['PUT', '/api/cart/items/sku-1'],
      ['DELETE', '/api/cart'],
    ])('%s %s answers 401 unauthenticated', async (method, path) => {
      const response = await shop.request({
        method,
        path,
        json: method === 'PUT' ? { quantity: 1 } : undefined,
      });

      expectProblem(response, 401, 'unauthenticated');
    });
  });

  describe('a cookie-authenticated write', () => {
    let user: SignedUpUser;

    beforeAll(async () => {
      user = await newUser();
      await putCartItem(shop, '/api/cart/items/kept', 3, user.tokens.accessToken);
    });

    const writes = [
      ['PUT', '/api/cart/items/sku-1'],
      ['DELETE', '/api/cart/items/kept'],
      ['DELETE', '/api/cart'],
    ] as const;
    const refusals: [string, string, (csrf: string) => Record<string, string>][] = [
      ['without Origin', 'forbidden_origin', (csrf) => ({ 'x-csrf-token': csrf })],
      [
        'with a foreign Origin',
        'forbidden_origin',
        (csrf) => csrfHeaders('http://evil.localhost:1', csrf),
      ],
      ['with the CART origin', 'forbidden_origin', (csrf) => csrfHeaders(sut.cart.origin, csrf)],
      ['without X-CSRF-Token', 'csrf_failed', () => ({ origin: sut.shop.origin })],
      [
        'with a wrong X-CSRF-Token',
        'csrf_failed',
        (csrf) => csrfHeaders(sut.shop.origin, `${csrf}x`),
      ],
    ];

    describe.each(writes)('%s %s', (method, path) => {
      it.each(refusals)('%s answers 403 %s and changes nothing', async (_label, code, headers) => {
        const response = await shop.request({
          method,
          path,
          jar: user.session.jar,
          headers: headers(user.session.csrfToken),
          json: method === 'PUT' ? { quantity: 1 } : undefined,
        });

        expectProblem(response, 403, code);
        const after = await shop.get<CartBody>('/api/cart', { bearer: user.tokens.accessToken });
        expect(after.json?.items).toEqual([{ sku: 'kept', quantity: 3 }]);
      });
    });

    it('succeeds with the SHOP Origin and the CSRF token', async () => {
      const response = await shop.put<CartBody>(
        '/api/cart/items/sku-9',
        { quantity: 1 },
        as(user, 'cookie'),
      );

      expectStatus(response, 200);
      expect(response.json?.items).toEqual(expect.arrayContaining([{ sku: 'sku-9', quantity: 1 }]));
    });
  });

  describe('a Bearer-authenticated write', () => {
    it('needs neither Origin nor X-CSRF-Token', async () => {
      const user = await newUser();

      const put = await shop.put(
        '/api/cart/items/sku-1',
        { quantity: 1 },
        { bearer: user.tokens.accessToken },
      );
      const remove = await shop.delete('/api/cart', { bearer: user.tokens.accessToken });

      expectStatus(put, 200);
      expectStatus(remove, 204);
    });
  });

  describe('whose cart it is', () => {
    let alice: SignedUpUser;
    let bob: SignedUpUser;

    beforeAll(async () => {
      alice = await newUser();
      bob = await newUser();
      await putCartItem(shop, '/api/cart/items/alice-sku', 1, alice.tokens.accessToken);
      await putCartItem(shop, '/api/cart/items/bob-sku', 7, bob.tokens.accessToken);
    });

    it("never shows one user another user's items", async () => {
      const aliceCart = await shop.get<CartBody>('/api/cart', { bearer: alice.tokens.accessToken });
      const bobCart = await shop.get<CartBody>('/api/cart', { jar: bob.session.jar });

      expect(aliceCart.json?.items).toEqual([{ sku: 'alice-sku', quantity: 1 }]);
      expect(bobCart.json?.items).toEqual([{ sku: 'bob-sku', quantity: 7 }]);
    });

    it('is the same cart whether the user comes with the cookie or with a Bearer token', async () => {
      const withCookie = await shop.get<CartBody>('/api/cart', { jar: alice.session.jar });
      const withBearer = await shop.get<CartBody>('/api/cart', {
        bearer: alice.tokens.accessToken,
      });

      expectStatus(withCookie, 200);
      expect(withCookie.json).toEqual(withBearer.json);
    });

    it('is the same cart through the gateway and directly on CART', async () => {
      const throughGateway = await shop.get<CartBody>('/api/cart', { jar: alice.session.jar });
      const direct = await cart.get<CartBody>('/cart', { bearer: alice.tokens.accessToken });

      expectStatus(direct, 200);
      expect(direct.json).toEqual(throughGateway.json);
    });

    describe.each<Credential>(['cookie', 'bearer'])(
      'when a client sends identity headers with a valid %s',
      (credential) => {
        it.each<[string, () => Record<string, string>]>([
          ['X-User-Id: <another user>', () => ({ 'x-user-id': bob.user.id })],
          ['X-Identity-Token: garbage', () => ({ 'x-identity-token': 'garbage' })],
          ['X-Auth-User-Id: <another user>', () => ({ 'x-auth-user-id': bob.user.id })],
        ])('strips %s and answers with the caller’s own cart', async (_label, spoofed) => {
          const options = as(alice, credential);

          const response = await shop.get<CartBody>('/api/cart', {
            ...options,
            headers: { ...('headers' in options ? options.headers : {}), ...spoofed() },
          });

          expectStatus(response, 200);
          expect(response.json?.items).toEqual([{ sku: 'alice-sku', quantity: 1 }]);
        });
      },
    );
  });
});
