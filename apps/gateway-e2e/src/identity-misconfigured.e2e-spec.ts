import { expectProblem, http, signUp, startSystem } from '@svt/shared/testing';
import type { HttpClient, SignedUpUser, SystemUnderTest } from '@svt/shared/testing';

// CART looks for the gateway's public key in the wrong place, so it can verify
// no identity token: a fault between services, never the caller's.
let sut: SystemUnderTest;
let shop: HttpClient;
let alice: SignedUpUser;

beforeAll(async () => {
  sut = await startSystem({ env: { cart: { GATEWAY_URL: 'http://127.0.0.1:9' } } });
  shop = http(sut.shop);
  alice = await signUp(shop, '/api/auth');
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

describe('GET /api/cart when CART cannot verify the gateway identity token', () => {
  it('answers 502 upstream_unavailable, not a 401 the caller could not fix', async () => {
    const response = await shop.get('/api/cart', { bearer: alice.tokens.accessToken });
    expectProblem(response, 502, 'upstream_unavailable');
  });

  it('still authenticates the caller at the gateway', async () => {
    const response = await shop.get('/api/me', { bearer: alice.tokens.accessToken });
    expect(response.status).toBe(200);
  });
});
