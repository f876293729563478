import {
  decodeJwt,
  epochSeconds,
  expectBearerChallenge,
  expectProblem,
  expectStatus,
  generateEs256Key,
  http,
  putCartItem,
  randomHex,
  signEs256Jwt,
  signUp,
  startSystem,
} from '@svt/shared/testing';
import type {
  CartBody,
  HttpClient,
  JwksBody,
  SignedUpUser,
  SystemUnderTest,
} from '@svt/shared/testing';

let sut: SystemUnderTest;
let cart: HttpClient;
let auth: HttpClient;
let alice: SignedUpUser;

beforeAll(async () => {
  sut = await startSystem();
  cart = http(sut.cart);
  auth = http(sut.auth);
  alice = await signUp(auth);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

/** An identity token as the gateway would make one, but signed with a key the test made. */
async function forgedIdentityToken(): Promise<string> {
  const gatewayKeys = await http(sut.shop).get<JwksBody>('/.well-known/jwks.json');
  const kid = gatewayKeys.json?.keys?.[0]?.['kid'];
  const now = epochSeconds();
  return signEs256Jwt(
    {
      iss: sut.shop.origin,
      aud: sut.cart.origin,
      sub: alice.user.id,
      jti: randomHex(16),
      iat: now,
      exp: now + 60,
    },
    generateEs256Key(typeof kid === 'string' ? kid : 'gateway'),
    { typ: 'identity+jwt' },
  );
}

describe('CART without any credential', () => {
  it.each([
    ['GET', '/cart'],
    ['PUT', '/cart/items/sku-1'],
    ['DELETE', '/cart/items/sku-1'],
    ['DELETE', '/cart'],
  ])('%s %s answers 401 unauthenticated with a Bearer challenge', async (method, path) => {
    const response = await cart.request({
      method,
      path,
      json: method === 'PUT' ? { quantity: 1 } : undefined,
    });

    expectProblem(response, 401, 'unauthenticated');
    expectBearerChallenge(response, false);
  });

  it('explains that the SHOP cookie is not sent cross-site and that a Bearer token works', async () => {
    const response = await cart.get('/cart');

    const { detail } = expectProblem(response, 401, 'unauthenticated');
    expect(detail).toMatch(/cookie/i);
    expect(detail).toMatch(/site/i);
    expect(detail).toMatch(/bearer/i);
  });
});

describe('CART with a Bearer access token', () => {
  let user: SignedUpUser;

  beforeAll(async () => {
    user = await signUp(auth);
  });

  it('GET /cart answers 200 with an empty cart for a new user', async () => {
    const response = await cart.get<CartBody>('/cart', { bearer: user.tokens.accessToken });

    expectStatus(response, 200);
    expect(response.json).toEqual({ items: [], updatedAt: null });
  });

  it('PUT /cart/items/:sku answers 200 with the whole cart', async () => {
    const response = await cart.put<CartBody>(
      '/cart/items/sku-1',
      { quantity: 2 },
      { bearer: user.tokens.accessToken },
    );

    expectStatus(response, 200);
    expect(response.json).toEqual({
      items: [{ sku: 'sku-1', quantity: 2 }],
      updatedAt: expect.any(String),
    });
  });

  it('DELETE /cart/items/:sku answers 200 with the cart without that item', async () => {
    await putCartItem(cart, '/cart/items/sku-2', 4, user.tokens.accessToken);

    const response = await cart.delete<CartBody>('/cart/items/sku-1', {
      bearer: user.tokens.accessToken,
    });

    expectStatus(response, 200);
    expect(response.json?.items).toEqual([{ sku: 'sku-2', quantity: 4 }]);
  });

  it('DELETE /cart answers 204, and GET then shows no items', async () => {
    const response = await cart.delete('/cart', { bearer: user.tokens.accessToken });
    const after = await cart.get<CartBody>('/cart', { bearer: user.tokens.accessToken });

    expectStatus(response, 204);
    expectStatus(after, 200);
    expect(after.json?.items).toEqual([]);
  });

  it('answers 401 invalid_token for a garbage Bearer token', async () => {
    const response = await cart.get('/cart', { bearer: 'garbage' });

    expectProblem(response, 401, 'invalid_token');
    expectBearerChallenge(response, true);
  });
});

describe('CART with the session cookie (sent by a non-browser client)', () => {
  it('GET /cart answers 200 with the same cart as with the Bearer token', async () => {
    await putCartItem(cart, '/cart/items/cookie-sku', 3, alice.tokens.accessToken);

    const withCookie = await cart.get<CartBody>('/cart', { jar: alice.session.jar });
    const withBearer = await cart.get<CartBody>('/cart', { bearer: alice.tokens.accessToken });

    expectStatus(withCookie, 200);
    expect(withCookie.json?.items).toEqual(
      expect.arrayContaining([{ sku: 'cookie-sku', quantity: 3 }]),
    );
    expect(withCookie.json).toEqual(withBearer.json);
  });
});

describe('CART with a forged identity', () => {
  describe('when X-Identity-Token is garbage', () => {
    it('answers 401 invalid_token', async () => {
      const response = await cart.get('/cart', { headers: { 'x-identity-token': 'garbage' } });

      expectProblem(response, 401, 'invalid_token');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer\b/);
    });
  });

  describe('when X-Identity-Token is signed by a key the test made (typ identity+jwt, aud CART, iss SHOP)', () => {
    it('answers 401 invalid_token', async () => {
      const token = await forgedIdentityToken();
      expect(decodeJwt(token).header['typ']).toBe('identity+jwt');

      const response = await cart.get('/cart', { headers: { 'x-identity-token': token } });

      expectProblem(response, 401, 'invalid_token');
    });
  });

  describe('when X-Identity-Token carries an access token (the wrong type)', () => {
    it('answers 401 invalid_token', async () => {
      const response = await cart.get('/cart', {
        headers: { 'x-identity-token': alice.tokens.accessToken },
      });

      expectProblem(response, 401, 'invalid_token');
    });
  });

  describe('when only X-User-Id is sent', () => {
    it('answers 401 unauthenticated', async () => {
      const response = await cart.get('/cart', { headers: { 'x-user-id': alice.user.id } });

      expectProblem(response, 401, 'unauthenticated');
    });
  });
});
