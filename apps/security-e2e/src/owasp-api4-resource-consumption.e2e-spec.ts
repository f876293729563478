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

/**
 * OWASP API Security Top 10 (2023), API4 Unrestricted Resource Consumption:
 * what one user can make CART store is bounded. Low limits here, so that the
 * tests reach them in a few requests.
 */

const MAX_ITEMS = 5;

let sut: SystemUnderTest;
let shop: HttpClient;
let cart: HttpClient;

beforeAll(async () => {
  sut = await startSystem({ env: { cart: { CART_MAX_ITEMS: String(MAX_ITEMS) } } });
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
