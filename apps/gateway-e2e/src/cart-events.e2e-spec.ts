import { setTimeout as sleep } from 'node:timers/promises';
import {
  csrfHeaders,
  decodeJwt,
  expectStatus,
  http,
  loginWithSession,
  loginWithToken,
  openLiveCart,
  putCartItem,
  SESSION_COOKIE,
  signUp,
  startSystem,
  strongPassword,
} from '@svt/shared/testing';
import type {
  HttpClient,
  JsonObject,
  LiveCart,
  LiveCartClose,
  MeteredService,
  SignedUpUser,
  SystemUnderTest,
} from '@svt/shared/testing';

/**
 * The live cart, `GET /api/cart/events` (docs/websocket.md): opened with
 * either credential, pushed every change from any replica, and closed
 * within 1 s of the end of its credential, whatever ended it.
 */

/** The close codes as docs/websocket.md documents them (a black-box suite reads the contract). */
const CLOSE = {
  sessionEnded: 4001,
  sessionExpired: 4002,
  tokenRevoked: 4003,
  tokenExpired: 4004,
  authFailed: 4005,
} as const;

/** The bound: a socket lives no longer than 1 s past its credential. */
const CLOSE_BOUND_MS = 1000;

let sut: SystemUnderTest;
let shop: HttpClient;

beforeAll(async () => {
  sut = await startSystem();
  shop = http(sut.shop);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

const newUser = (): Promise<SignedUpUser> => signUp(shop, '/api/auth');

/** The shop's page: its own Origin, and the session cookie the browser holds for it. */
function asShopPage(user: SignedUpUser) {
  return { origin: sut.shop.origin, cookie: user.session.jar.header('/api/cart/events') };
}

const isCart = (message: JsonObject): boolean => message['type'] === 'cart';

/** The next cart pushed that holds `sku`. */
function cartWith(live: LiveCart, sku: string): Promise<JsonObject> {
  return live.next(
    (message) =>
      isCart(message) &&
      ((message['cart'] as { items: { sku: string }[] }).items ?? []).some(
        (item) => item.sku === sku,
      ),
  );
}

/** Asserts the close code, and that the close came at most 1 s after `since` (epoch ms). */
function expectClosedWithin(close: LiveCartClose, code: number, since: number): void {
  expect({ code: close.code, late: close.at - since > CLOSE_BOUND_MS }).toEqual({
    code,
    late: false,
  });
}

describe('opening /api/cart/events', () => {
  let user: SignedUpUser;

  beforeAll(async () => {
    user = await newUser();
    await putCartItem(shop, '/api/cart/items/tea', 2, user.tokens.accessToken);
  });

  it('opens with the session cookie from the shop’s Origin, answers cart.v1, and sends the cart', async () => {
    const live = await openLiveCart(sut.shop, asShopPage(user));

    expect(live.protocol).toBe('cart.v1');
    expect(await live.next(() => true)).toEqual({
      type: 'authenticated',
      method: 'session',
      expiresAt: expect.any(String),
    });
    expect((await live.next(isCart))['cart']).toEqual({
      items: [{ sku: 'tea', quantity: 2 }],
      updatedAt: expect.any(String),
    });
    live.ws.close();
  });

  it('opens with the access token offered as the subprotocol bearer.<token>, and answers only cart.v1', async () => {
    const live = await openLiveCart(sut.shop, { token: user.tokens.accessToken });

    expect(live.protocol).toBe('cart.v1');
    expect(await live.next(() => true)).toMatchObject({ type: 'authenticated', method: 'bearer' });
    expect((await live.next(isCart))['cart']).toMatchObject({ items: [{ sku: 'tea' }] });
    live.ws.close();
  });

  it('opens without a credential and authenticates with a first message {type: "auth", token}', async () => {
    const live = await openLiveCart(sut.shop, { origin: 'https://elsewhere.example' });
    live.send({ type: 'auth', token: user.tokens.accessToken });

    expect(await live.next(() => true)).toMatchObject({ type: 'authenticated', method: 'bearer' });
    expect((await live.next(isCart))['cart']).toMatchObject({ items: [{ sku: 'tea' }] });
    live.ws.close();
  });
});

describe('pushing the cart', () => {
  let user: SignedUpUser;
  let replica: MeteredService;

  beforeAll(async () => {
    user = await newUser();
    replica = await sut.startReplica('gateway');
  }, 60_000);

  it('pushes a change made through the gateway', async () => {
    const live = await openLiveCart(sut.shop, { token: user.tokens.accessToken });
    await live.next(isCart);

    await putCartItem(shop, '/api/cart/items/through-gateway', 1, user.tokens.accessToken);

    expect((await cartWith(live, 'through-gateway'))['cart']).toMatchObject({
      items: expect.arrayContaining([{ sku: 'through-gateway', quantity: 1 }]),
    });
    live.ws.close();
  });

  it('pushes to a socket on another gateway replica a change made through the first', async () => {
    const onReplica = await openLiveCart(replica, { token: user.tokens.accessToken });
    await onReplica.next(isCart);

    await putCartItem(shop, '/api/cart/items/other-replica', 3, user.tokens.accessToken);

    expect((await cartWith(onReplica, 'other-replica'))['cart']).toMatchObject({
      items: expect.arrayContaining([{ sku: 'other-replica', quantity: 3 }]),
    });
    onReplica.ws.close();
  });

  it('pushes a change made at CART directly, with a Bearer token', async () => {
    const live = await openLiveCart(sut.shop, asShopPage(user));
    await live.next(isCart);

    await putCartItem(http(sut.cart), '/cart/items/at-cart', 4, user.tokens.accessToken);

    expect((await cartWith(live, 'at-cart'))['cart']).toMatchObject({
      items: expect.arrayContaining([{ sku: 'at-cart', quantity: 4 }]),
    });
    live.ws.close();
  });

  it('pushes the emptied cart after DELETE /api/cart', async () => {
    const live = await openLiveCart(sut.shop, { token: user.tokens.accessToken });
    await live.next(isCart);

    expectStatus(await shop.delete('/api/cart', { bearer: user.tokens.accessToken }), 204);

    expect(
      (await live.next((m) => isCart(m) && (m['cart'] as { items: [] }).items.length === 0))[
        'cart'
      ],
    ).toEqual({ items: [], updatedAt: expect.any(String) });
    live.ws.close();
  });
});

describe('a socket lives no longer than its credential', () => {
  /** Opens a cookie socket and a token socket of `user`, each past its first cart. */
  async function openBoth(user: SignedUpUser): Promise<{ cookie: LiveCart; token: LiveCart }> {
    const cookie = await openLiveCart(sut.shop, asShopPage(user));
    const token = await openLiveCart(sut.shop, { token: user.tokens.accessToken });
    await Promise.all([cookie.next(isCart), token.next(isCart)]);
    return { cookie, token };
  }

  it('closes the cookie socket with 4001 within 1 s of the logout', async () => {
    const user = await newUser();
    const { cookie, token } = await openBoth(user);

    const loggingOut = Date.now();
    const logout = await shop.delete('/api/auth/session', {
      jar: user.session.jar,
      headers: csrfHeaders(sut.shop.origin, user.session.csrfToken),
    });

    expectStatus(logout, 204);
    expectClosedWithin(await cookie.closed, CLOSE.sessionEnded, loggingOut);
    // The token family is another login: its socket stays.
    expect(token.ws.readyState).toBe(token.ws.OPEN);
    token.ws.close();
  });

  it('closes both sockets within 1 s of logout-all: 4001 (session) and 4003 (token)', async () => {
    const user = await newUser();
    const { cookie, token } = await openBoth(user);

    const loggingOut = Date.now();
    expectStatus(
      await shop.post('/api/auth/logout-all', undefined, { bearer: user.tokens.accessToken }),
      204,
    );

    expectClosedWithin(await cookie.closed, CLOSE.sessionEnded, loggingOut);
    expectClosedWithin(await token.closed, CLOSE.tokenRevoked, loggingOut);
  });

  it('closes the token socket with 4003 within 1 s of revoking its refresh token', async () => {
    const user = await newUser();
    const { cookie, token } = await openBoth(user);

    const revoking = Date.now();
    expectStatus(
      await shop.post('/api/auth/token/revoke', { refresh_token: user.tokens.refreshToken }),
      204,
    );

    expectClosedWithin(await token.closed, CLOSE.tokenRevoked, revoking);
    expect(cookie.ws.readyState).toBe(cookie.ws.OPEN);
    cookie.ws.close();
  });

  it('closes the cookie socket with 4001 within 1 s of revoking its session from another login', async () => {
    const user = await newUser();
    const { cookie, token } = await openBoth(user);
    const sessions = await shop.get<{ id: string; method: string; current: boolean }[]>(
      '/api/auth/sessions',
      { bearer: user.tokens.accessToken },
    );
    const session = sessions.json?.find((entry) => entry.method === 'session');
    expect(session).toBeDefined();

    const revoking = Date.now();
    expectStatus(
      await shop.delete(`/api/auth/sessions/${session?.id}`, { bearer: user.tokens.accessToken }),
      204,
    );

    expectClosedWithin(await cookie.closed, CLOSE.sessionEnded, revoking);
    expect(token.ws.readyState).toBe(token.ws.OPEN);
    token.ws.close();
  });

  it('closes both sockets within 1 s of a password change made from a third login', async () => {
    const user = await newUser();
    const { cookie, token } = await openBoth(user);
    const third = await loginWithToken(shop, user.user, '/api/auth');

    const changing = Date.now();
    const change = await shop.post(
      '/api/auth/password',
      { currentPassword: user.user.password, newPassword: strongPassword() },
      { bearer: third.accessToken },
    );

    expectStatus(change, 200);
    expectClosedWithin(await cookie.closed, CLOSE.sessionEnded, changing);
    expectClosedWithin(await token.closed, CLOSE.tokenRevoked, changing);
  });

  describe('with short-lived credentials (an AUTH replica issuing 3 s tokens and 2 s idle sessions)', () => {
    let shortAuth: HttpClient;

    beforeAll(async () => {
      const replica = await sut.startReplica('auth', {
        ACCESS_TOKEN_TTL: '3',
        SESSION_IDLE_TTL: '2',
      });
      shortAuth = http(replica);
    }, 60_000);

    it('closes a token socket with 4004 within 1 s of the token’s exp', async () => {
      const user = await newUser();
      const { accessToken } = await loginWithToken(shortAuth, user.user);
      const exp = Number(decodeJwt(accessToken).payload['exp']) * 1000;
      const live = await openLiveCart(sut.shop, { token: accessToken });
      await live.next(isCart);

      expectClosedWithin(await live.closed, CLOSE.tokenExpired, exp);
      expect((await live.closed).at).toBeGreaterThanOrEqual(exp);
    });

    it('lives on past exp when re-authenticated in-band, then closes within 1 s of the new token’s exp', async () => {
      const user = await newUser();
      const first = await loginWithToken(shortAuth, user.user);
      const firstExp = Number(decodeJwt(first.accessToken).payload['exp']) * 1000;
      const live = await openLiveCart(sut.shop, { token: first.accessToken });
      await live.next(isCart);
      await sleep(1200);
      const second = await loginWithToken(shortAuth, user.user);
      const secondExp = Number(decodeJwt(second.accessToken).payload['exp']) * 1000;

      live.send({ type: 'auth', token: second.accessToken });

      expect(await live.next((m) => m['type'] === 'authenticated')).toEqual({
        type: 'authenticated',
        method: 'bearer',
        expiresAt: new Date(secondExp).toISOString(),
      });
      expect(secondExp).toBeGreaterThan(firstExp);
      await sleep(Math.max(0, firstExp + 600 - Date.now()));
      expect(live.ws.readyState).toBe(live.ws.OPEN);
      expectClosedWithin(await live.closed, CLOSE.tokenExpired, secondExp);
    });

    it('refuses an in-band token of another user with 4005', async () => {
      const [user, other] = await Promise.all([newUser(), newUser()]);
      const live = await openLiveCart(sut.shop, { token: user.tokens.accessToken });
      await live.next(isCart);

      live.send({ type: 'auth', token: other.tokens.accessToken });

      expect((await live.closed).code).toBe(CLOSE.authFailed);
    });

    it('closes a cookie socket with 4002 within 1 s of the session’s idle end', async () => {
      const user = await newUser();
      const session = await loginWithSession(shortAuth, user.user);
      const live = await openLiveCart(sut.shop, {
        origin: sut.shop.origin,
        cookie: `${SESSION_COOKIE}=${session.sessionId}`,
      });
      const authenticated = await live.next(() => true);
      const endsAt = Date.parse(String(authenticated['expiresAt']));

      expectClosedWithin(await live.closed, CLOSE.sessionExpired, endsAt);
      expect((await live.closed).at).toBeGreaterThanOrEqual(endsAt);
    });
  });
});

describe('a gateway replica that shuts down', () => {
  it('closes its sockets with 1001 (going away) and exits cleanly, so clients reconnect elsewhere', async () => {
    const replica = await sut.startReplica('gateway');
    const user = await newUser();
    const live = await openLiveCart(replica, { token: user.tokens.accessToken });
    await live.next(isCart);

    const [exit, closed] = await Promise.all([replica.terminate(), live.closed]);

    expect(closed.code).toBe(1001);
    expect(exit).toEqual({ code: 0, signal: null });
  }, 60_000);
});

describe('on the metrics port', () => {
  it('counts the open sockets, the closes by reason and the credential checks', async () => {
    const live = await openLiveCart(sut.shop, { token: (await newUser()).tokens.accessToken });
    await live.next(isCart);

    const metrics = await http(sut.shop.metrics).get('/metrics');
    live.ws.close();

    expect(metrics.text).toMatch(/^live_cart_sockets [1-9]/m);
    // The earlier tests' logouts and revocations, each under the name of its close code.
    expect(metrics.text).toMatch(/^live_cart_closes_total\{reason="sessionEnded"\} [1-9]/m);
    expect(metrics.text).toMatch(/^live_cart_closes_total\{reason="tokenRevoked"\} [1-9]/m);
    expect(metrics.text).toMatch(/^live_cart_credential_check_seconds_count [1-9]/m);
  });
});
