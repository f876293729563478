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
import { expectRetryAfter } from './support';

/**
 * OWASP API Security Top 10 (2023), API4 Unrestricted Resource Consumption:
 * what one user can make CART store, and how often they can change it, is
 * bounded. Low limits here, so that the tests reach them in a few requests;
 * each test has a user of its own, since the write limit counts per user.
 */

const MAX_ITEMS = 5;
const WRITES_PER_MINUTE = 12;

let sut: SystemUnderTest;
let shop: HttpClient;
let cart: HttpClient;

beforeAll(async () => {
  sut = await startSystem({
    env: {
      cart: {
        CART_MAX_ITEMS: String(MAX_ITEMS),
        RATE_LIMIT_CART_WRITES: `${WRITES_PER_MINUTE}/60`,
      },
    },
  });
  shop = http(sut.shop);
  cart = http(sut.cart);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

/** A new user whose cart at CART holds `count` items, `sku-0` … */
async function userWithItems(count: number): Promise<SignedUpUser> {
  const user = await signUp(shop, '/api/auth');
  for (let i = 0; i < count; i += 1) {
    await putCartItem(cart, `/cart/items/sku-${i}`, 1, user.tokens.accessToken);
  }
  return user;
}

const skusOf = (body: CartBody | undefined): string[] => (body?.items ?? []).map((i) => i.sku);

describe(`API4: a cart holds at most CART_MAX_ITEMS (${MAX_ITEMS}) different items`, () => {
  it('answers a PUT of one more sku into a full cart with 409 cart_full, and the cart keeps its items', async () => {
    const user = await userWithItems(MAX_ITEMS);
    const bearer = user.tokens.accessToken;

    expectProblem(
      await cart.put('/cart/items/one-too-many', { quantity: 1 }, { bearer }),
      409,
      'cart_full',
    );

    const after = await cart.get<CartBody>('/cart', { bearer });
    expectStatus(after, 200);
    expect(skusOf(after.json)).toHaveLength(MAX_ITEMS);
    expect(skusOf(after.json)).not.toContain('one-too-many');
  });

  it('still changes the quantity of an item a full cart holds, and takes a new sku once one is removed', async () => {
    const user = await userWithItems(MAX_ITEMS);
    const bearer = user.tokens.accessToken;

    const changed = await cart.put<CartBody>('/cart/items/sku-1', { quantity: 9 }, { bearer });
    expectStatus(changed, 200);
    expect(changed.json?.items).toContainEqual({ sku: 'sku-1', quantity: 9 });

    expectStatus(await cart.delete('/cart/items/sku-0', { bearer }), 200);
    const added = await cart.put<CartBody>('/cart/items/new-one', { quantity: 1 }, { bearer });
    expectStatus(added, 200);
    expect(skusOf(added.json)).toHaveLength(MAX_ITEMS);
  });

  it('answers the same through the gateway, for a cookie session', async () => {
    const user = await userWithItems(MAX_ITEMS);
    const { jar, csrfToken } = user.session;

    expectProblem(
      await shop.put(
        '/api/cart/items/one-too-many',
        { quantity: 1 },
        { jar, headers: csrfHeaders(sut.shop.origin, csrfToken) },
      ),
      409,
      'cart_full',
    );
  });

  it('holds under concurrent PUTs of different skus: exactly the free places are taken', async () => {
    const user = await userWithItems(MAX_ITEMS - 2);
    const bearer = user.tokens.accessToken;

    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0
          ? cart.put(`/cart/items/race-${i}`, { quantity: 1 }, { bearer })
          : shop.put(`/api/cart/items/race-${i}`, { quantity: 1 }, { bearer }),
      ),
    );

    expect(answers.map((answer) => answer.status).sort()).toEqual([
      200, 200, 409, 409, 409, 409, 409, 409,
    ]);
    const after = await cart.get<CartBody>('/cart', { bearer });
    expect(skusOf(after.json)).toHaveLength(MAX_ITEMS);
  });
});

describe(`API4: cart writes are limited per user (RATE_LIMIT_CART_WRITES=${WRITES_PER_MINUTE}/60)`, () => {
  it('answers the write after the limit with 429 rate_limited and Retry-After, whichever credential and route', async () => {
    const user = await signUp(shop, '/api/auth');
    const bearer = user.tokens.accessToken;
    const { jar, csrfToken } = user.session;
    const viaShop = { jar, headers: csrfHeaders(sut.shop.origin, csrfToken) };
    // Bearer at CART and the cookie through the gateway count as one user.
    for (let i = 0; i < WRITES_PER_MINUTE / 2; i += 1) {
      expectStatus(await cart.put(`/cart/items/w-${i}`, { quantity: 1 }, { bearer }), 200);
      expectStatus(await shop.delete(`/api/cart/items/w-${i}`, viaShop), 200);
    }

    const refused = [
      await cart.put('/cart/items/one-more', { quantity: 1 }, { bearer }),
      await shop.put('/api/cart/items/one-more', { quantity: 1 }, viaShop),
      await cart.delete('/cart/items/w-0', { bearer }),
      await cart.delete('/cart', { bearer }),
    ];

    for (const response of refused) {
      expectProblem(response, 429, 'rate_limited');
      expect(expectRetryAfter(response)).toBeLessThanOrEqual(60);
    }
  });

  /** A new user who spent the write limit: the next write was refused. */
  async function limitedUser(): Promise<SignedUpUser> {
    const user = await signUp(shop, '/api/auth');
    const bearer = user.tokens.accessToken;
    for (let i = 0; i < WRITES_PER_MINUTE; i += 1) {
      expectStatus(await cart.put('/cart/items/tea', { quantity: 1 }, { bearer }), 200);
    }
    expectProblem(
      await cart.put('/cart/items/tea', { quantity: 2 }, { bearer }),
      429,
      'rate_limited',
    );
    return user;
  }

  it('never limits reads', async () => {
    const bearer = (await limitedUser()).tokens.accessToken;

    expectStatus(await cart.get('/cart', { bearer }), 200);
    expectStatus(await shop.get('/api/cart', { bearer }), 200);
  });

  it("leaves other users' writes alone", async () => {
    await limitedUser();
    const other = await signUp(shop, '/api/auth');

    expectStatus(
      await cart.put('/cart/items/tea', { quantity: 1 }, { bearer: other.tokens.accessToken }),
      200,
    );
  });
});
