import { randomUUID } from 'node:crypto';
import {
  CookieJar,
  csrfHeaders,
  expectProblem,
  expectStatus,
  http,
  loginWithSession,
  loginWithToken,
  randomHex,
  registerUser,
  SESSION_COOKIE,
  startSystem,
} from '@svt/shared/testing';
import type {
  HttpClient,
  HttpResponse,
  RegisteredUser,
  SessionBody,
  SessionListingBody,
  SessionLogin,
  SystemUnderTest,
  TokenBody,
  TokenLogin,
} from '@svt/shared/testing';
import {
  expectInvalidToken,
  gatewayIdentityKey,
  identityToken,
  onceRevoked,
  refresh,
  sessionHandle,
  sidOf,
  sleep,
} from './support';
import type { GatewayIdentityKey } from './support';

/**
 * OWASP ASVS 5.0 V7 (session management) and the revocation it implies for
 * stateless tokens: every way a session or token family ends is checked at
 * AUTH, the gateway and CART, for cookies, access tokens and the identity
 * tokens the gateway mints for CART. Sessions here go idle after 3 s and end
 * after 7 s whatever the activity, so each test starts its own.
 */

const IDLE_SECONDS = 3;
const ABSOLUTE_SECONDS = 7;

let sut: SystemUnderTest;
let auth: HttpClient;
let shop: HttpClient;
let cart: HttpClient;
let gatewayKey: GatewayIdentityKey;

beforeAll(async () => {
  sut = await startSystem({
    env: {
      auth: { SESSION_IDLE_TTL: String(IDLE_SECONDS), SESSION_TTL: String(ABSOLUTE_SECONDS) },
    },
  });
  auth = http(sut.auth);
  shop = http(sut.shop);
  cart = http(sut.cart);
  gatewayKey = await gatewayIdentityKey(sut, shop);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

/** Every place a credential is checked: AUTH, the gateway itself, the gateway's cart proxy, CART. */
const protectedRoutes: [string, () => HttpClient, string][] = [
  ['AUTH GET /auth/me', () => auth, '/auth/me'],
  ['the gateway GET /api/me', () => shop, '/api/me'],
  ['the gateway GET /api/cart', () => shop, '/api/cart'],
  ['CART GET /cart', () => cart, '/cart'],
];

async function expectCookieWorks(jar: CookieJar): Promise<void> {
  for (const [, client, path] of protectedRoutes) {
    expectStatus(await client().get(path, { jar }), 200);
  }
}

/** An ended session's cookie is no credential at all: 401 unauthenticated everywhere. */
async function expectCookieDead(jar: CookieJar): Promise<void> {
  for (const [, client, path] of protectedRoutes) {
    expectProblem(await client().get(path, { jar }), 401, 'unauthenticated');
  }
}

async function expectAccessTokenDead(accessToken: string): Promise<void> {
  for (const [, client, path] of protectedRoutes) {
    expectInvalidToken(await onceRevoked(() => client().get(path, { bearer: accessToken })));
  }
}

/** CART's verdict on an identity token such as the gateway mints for session or family `sid`. */
function cartWithIdentity(user: RegisteredUser, sid: string, method: 'session' | 'bearer') {
  return cart.get('/cart', {
    headers: {
      'x-identity-token': identityToken(sut, gatewayKey, { sub: user.id, sid, amr: [method] }),
    },
  });
}

function changePassword(
  user: RegisteredUser,
  newPassword: string,
  credential: { jar: CookieJar; csrfToken: string } | { bearer: string },
  client: HttpClient = auth,
  basePath = '/auth',
  origin: string = sut.auth.origin,
): Promise<HttpResponse<SessionBody & TokenBody>> {
  const options =
    'bearer' in credential
      ? { bearer: credential.bearer }
      : { jar: credential.jar, headers: csrfHeaders(origin, credential.csrfToken) };
  return client.post<SessionBody & TokenBody>(
    `${basePath}/password`,
    { currentPassword: user.password, newPassword },
    options,
  );
}

describe('ASVS 5.0 §7.2.4 a new session token at every login (no session fixation)', () => {
  it('gives a new cookie value to a login that presents an old session cookie, and ends the old one', async () => {
    const user = await registerUser(auth);
    const first = await loginWithSession(auth, user);
    const oldJar = first.jar.clone();

    const second = await loginWithSession(auth, user, '/auth', first.jar);

    expect(second.sessionId).not.toBe(first.sessionId);
    expect(second.csrfToken).not.toBe(first.csrfToken);
    await expectCookieDead(oldJar);
    await expectCookieWorks(second.jar);
  });

  it('does the same through the gateway, on the SHOP site', async () => {
    const user = await registerUser(shop, undefined, '/api/auth');
    const first = await loginWithSession(shop, user, '/api/auth');
    const oldJar = first.jar.clone();

    const second = await loginWithSession(shop, user, '/api/auth', first.jar);

    expect(second.sessionId).not.toBe(first.sessionId);
    await expectCookieDead(oldJar);
  });

  it('never adopts a session id planted by an attacker', async () => {
    const user = await registerUser(auth);
    const planted = new CookieJar().set(SESSION_COOKIE, randomHex(32));

    const login = await loginWithSession(auth, user, '/auth', planted.clone());

    expect(login.sessionId).not.toBe(planted.get(SESSION_COOKIE));
    await expectCookieDead(planted);
  });
});

describe(`ASVS 5.0 §7.3.1 inactivity timeout (SESSION_IDLE_TTL=${IDLE_SECONDS})`, () => {
  it('announces an idle deadline SESSION_IDLE_TTL after the login, before the absolute one', async () => {
    const user = await registerUser(auth);

    const { response } = await loginWithSession(auth, user);

    const expiresAt = Date.parse(response.json?.expiresAt ?? '');
    const idleExpiresAt = Date.parse(response.json?.idleExpiresAt ?? '');
    expect(expiresAt - idleExpiresAt).toBe((ABSOLUTE_SECONDS - IDLE_SECONDS) * 1000);
  });

  it('ends a session left unused for the idle timeout: 401 unauthenticated at AUTH, the gateway and CART', async () => {
    const user = await registerUser(auth);
    const { jar } = await loginWithSession(auth, user);

    await sleep((IDLE_SECONDS + 1) * 1000);

    await expectCookieDead(jar);
    expectProblem(await auth.get('/auth/session', { jar }), 401, 'unauthenticated');
  });

  it('slides the idle deadline with each request made before it', async () => {
    const user = await registerUser(auth);
    const { jar, response } = await loginWithSession(auth, user);

    await sleep(1_000);
    const later = await auth.get<SessionBody>('/auth/session', { jar });

    expectStatus(later, 200);
    expect(Date.parse(later.json?.idleExpiresAt ?? '')).toBeGreaterThan(
      Date.parse(response.json?.idleExpiresAt ?? ''),
    );
    expect(later.json?.expiresAt).toBe(response.json?.expiresAt);
  });
});

describe(`ASVS 5.0 §7.3.2 absolute maximum session lifetime (SESSION_TTL=${ABSOLUTE_SECONDS})`, () => {
  it('keeps a used session past the idle timeout, and ends it at the absolute lifetime regardless', async () => {
    const user = await registerUser(auth);
    const { jar } = await loginWithSession(auth, user);
    const statuses: number[] = [];

    // One request a second: always inside the idle window.
    for (let attempt = 0; attempt < 2 * ABSOLUTE_SECONDS; attempt += 1) {
      await sleep(1_000);
      const response = await shop.get('/api/me', { jar });
      statuses.push(response.status);
      if (response.status !== 200) {
        expectProblem(response, 401, 'unauthenticated');
        break;
      }
    }

    expect(statuses.slice(0, IDLE_SECONDS + 2)).toEqual(Array(IDLE_SECONDS + 2).fill(200));
    expect(statuses.at(-1)).toBe(401);
    await expectCookieDead(jar);
  }, 30_000);
});

describe('ASVS 5.0 §7.4.1 logout ends the session at once, everywhere', () => {
  it('ends the cookie session at AUTH, the gateway and CART, and the identity tokens minted for it', async () => {
    const user = await registerUser(auth);
    const login = await loginWithSession(auth, user);
    const kept = login.jar.clone();
    const handle = await sessionHandle(auth, login.jar);
    expectStatus(await cartWithIdentity(user, handle, 'session'), 200);

    const logout = await auth.delete('/auth/session', {
      jar: login.jar,
      headers: csrfHeaders(sut.auth.origin, login.csrfToken),
    });

    expectStatus(logout, 204);
    expect(login.jar.has(SESSION_COOKIE)).toBe(false);
    await expectCookieDead(kept);
    expectInvalidToken(await onceRevoked(() => cartWithIdentity(user, handle, 'session')));
  });

  it('ends a token family and its access tokens, and the identity tokens minted for it', async () => {
    const user = await registerUser(auth);
    const login = await loginWithToken(auth, user);
    expectStatus(await cartWithIdentity(user, sidOf(login.accessToken), 'bearer'), 200);

    const revoke = await auth.post('/auth/token/revoke', { refresh_token: login.refreshToken });

    expectStatus(revoke, 204);
    await expectAccessTokenDead(login.accessToken);
    expectInvalidToken(
      await onceRevoked(() => cartWithIdentity(user, sidOf(login.accessToken), 'bearer')),
    );
  });
});

describe('ASVS 5.0 §7.5.2 users can view and end their active sessions', () => {
  let alice: RegisteredUser;
  let browser: SessionLogin;
  let laptop: SessionLogin;
  let app: TokenLogin;
  let bob: RegisteredUser;
  let bobSession: SessionLogin;

  beforeAll(async () => {
    alice = await registerUser(auth);
    bob = await registerUser(auth);
    browser = await loginWithSessionAs(alice, 'browser-A');
    laptop = await loginWithSessionAs(alice, 'laptop-C');
    app = await loginWithToken(auth, alice);
    bobSession = await loginWithSession(auth, bob);
  });

  async function loginWithSessionAs(
    user: RegisteredUser,
    userAgent: string,
  ): Promise<SessionLogin> {
    const jar = new CookieJar();
    const response = await auth.post<SessionBody>(
      '/auth/session',
      { email: user.email, password: user.password },
      { jar, headers: { 'user-agent': userAgent } },
    );
    expectStatus(response, 201);
    return {
      jar,
      csrfToken: response.json?.csrfToken ?? '',
      user: { id: user.id, email: user.email, emailVerified: false },
      sessionId: jar.get(SESSION_COOKIE) ?? '',
      response,
    };
  }

  const listing = async (options: { jar?: CookieJar; bearer?: string }) => {
    const response = await auth.get<SessionListingBody[]>('/auth/sessions', options);
    expectStatus(response, 200);
    return response;
  };

  it("lists the caller's cookie sessions and token families, marking only the caller's as current", async () => {
    const response = await listing({ jar: browser.jar });

    const rows = response.json ?? [];
    expect(rows).toHaveLength(3);
    expect(rows.map((row) => row.method).sort()).toEqual(['bearer', 'session', 'session']);
    expect(rows.filter((row) => row.current)).toEqual([
      expect.objectContaining({ method: 'session', userAgent: 'browser-A', ip: '127.0.0.1' }),
    ]);
    expect(rows.find((row) => row.method === 'bearer')?.id).toBe(sidOf(app.accessToken));
    for (const row of rows) {
      expect(Number.isNaN(Date.parse(row.createdAt))).toBe(false);
      expect(Number.isNaN(Date.parse(row.lastSeenAt))).toBe(false);
    }
  });

  it('names each session by an opaque handle, never by a secret', async () => {
    const response = await listing({ jar: browser.jar });

    for (const secret of [
      browser.sessionId,
      laptop.sessionId,
      browser.csrfToken,
      laptop.csrfToken,
      app.refreshToken,
      app.accessToken,
    ]) {
      expect(response.text).not.toContain(secret);
    }
  });

  it('marks the token family as current when the caller uses its access token', async () => {
    const response = await listing({ bearer: app.accessToken });

    expect(response.json?.filter((row) => row.current).map((row) => row.id)).toEqual([
      sidOf(app.accessToken),
    ]);
  });

  it("never shows one user another user's sessions", async () => {
    const mine = (await listing({ jar: browser.jar })).json?.map((row) => row.id) ?? [];

    const bobs = (await listing({ jar: bobSession.jar })).json?.map((row) => row.id) ?? [];

    expect(bobs).toHaveLength(1);
    expect(mine).not.toContain(bobs[0]);
  });

  it("answers 404 not_found to ending another user's session, which goes on working", async () => {
    const bobHandle = await sessionHandle(auth, bobSession.jar);

    const response = await auth.delete(`/auth/sessions/${bobHandle}`, { bearer: app.accessToken });

    expectProblem(response, 404, 'not_found');
    await expectCookieWorks(bobSession.jar);
  });

  it('answers 404 not_found to an id that names no session', async () => {
    const response = await auth.delete(`/auth/sessions/${randomUUID()}`, {
      bearer: app.accessToken,
    });

    expectProblem(response, 404, 'not_found');
  });

  it('ends another of my cookie sessions at once: its cookie and its identity tokens are refused everywhere', async () => {
    const handle = await sessionHandle(auth, laptop.jar);

    const response = await auth.delete(`/auth/sessions/${handle}`, {
      jar: browser.jar,
      headers: csrfHeaders(sut.auth.origin, browser.csrfToken),
    });

    expectStatus(response, 204);
    await expectCookieDead(laptop.jar);
    expectInvalidToken(await onceRevoked(() => cartWithIdentity(alice, handle, 'session')));
    await expectCookieWorks(browser.jar);
  });

  it('ends one of my token families at once: its access and refresh tokens are refused everywhere', async () => {
    const response = await auth.delete(`/auth/sessions/${sidOf(app.accessToken)}`, {
      jar: browser.jar,
      headers: csrfHeaders(sut.auth.origin, browser.csrfToken),
    });

    expectStatus(response, 204);
    await expectAccessTokenDead(app.accessToken);
    expectProblem(await refresh(auth, app.refreshToken), 401, 'invalid_refresh_token');
    expect((await listing({ jar: browser.jar })).json?.map((row) => row.current)).toEqual([true]);
  });
});

describe('ASVS 5.0 §7.5.2 ending all sessions at once (POST /auth/logout-all)', () => {
  it('ends every cookie session and token family of the user, and nobody else’s', async () => {
    const user = await registerUser(auth);
    const other = await registerUser(auth);
    const cookie = await loginWithSession(auth, user);
    const handle = await sessionHandle(auth, cookie.jar);
    const tokens = await loginWithToken(auth, user);
    const caller = await loginWithToken(auth, user);
    const bystander = await loginWithToken(auth, other);

    const response = await auth.post('/auth/logout-all', undefined, {
      bearer: caller.accessToken,
    });

    expectStatus(response, 204);
    await expectCookieDead(cookie.jar);
    expectInvalidToken(await onceRevoked(() => cartWithIdentity(user, handle, 'session')));
    for (const login of [tokens, caller]) {
      await expectAccessTokenDead(login.accessToken);
      expectProblem(await refresh(auth, login.refreshToken), 401, 'invalid_refresh_token');
      expectInvalidToken(
        await onceRevoked(() => cartWithIdentity(user, sidOf(login.accessToken), 'bearer')),
      );
    }
    expectStatus(await shop.get('/api/me', { bearer: bystander.accessToken }), 200);
  });

  it('clears the cookie of a cookie caller', async () => {
    const user = await registerUser(auth);
    const login = await loginWithSession(auth, user);
    const kept = login.jar.clone();

    const response = await auth.post('/auth/logout-all', undefined, {
      jar: login.jar,
      headers: csrfHeaders(sut.auth.origin, login.csrfToken),
    });

    expectStatus(response, 204);
    expect(login.jar.has(SESSION_COOKIE)).toBe(false);
    await expectCookieDead(kept);
  });
});

describe("ASVS 5.0 §7.4.3, §7.5.1 a password change needs the current password and ends every session and family, the caller's included", () => {
  it('gives a cookie caller a new session, and every old credential of the user is refused', async () => {
    const user = await registerUser(auth);
    const other = await loginWithSession(auth, user);
    const family = await loginWithToken(auth, user);
    const caller = await loginWithSession(auth, user);
    const oldJar = caller.jar.clone();
    const oldHandle = await sessionHandle(auth, caller.jar);
    const newPassword = `new-${user.password}`;

    const response = await changePassword(user, newPassword, caller);

    expectStatus(response, 200);
    expect(response.json).toEqual({
      user: { id: user.id, email: user.email, emailVerified: false },
      csrfToken: expect.any(String),
      expiresAt: expect.any(String),
      idleExpiresAt: expect.any(String),
    });
    expect(response.json?.csrfToken).not.toBe(caller.csrfToken);
    expect(caller.jar.get(SESSION_COOKIE)).toEqual(expect.any(String));
    expect(caller.jar.get(SESSION_COOKIE)).not.toBe(caller.sessionId);
    await expectCookieWorks(caller.jar);
    await expectCookieDead(oldJar);
    await expectCookieDead(other.jar);
    await expectAccessTokenDead(family.accessToken);
    expectProblem(await refresh(auth, family.refreshToken), 401, 'invalid_refresh_token');
    expectInvalidToken(await onceRevoked(() => cartWithIdentity(user, oldHandle, 'session')));
    expectInvalidToken(
      await onceRevoked(() => cartWithIdentity(user, sidOf(family.accessToken), 'bearer')),
    );
  });

  it('gives a Bearer caller a new token pair, and its old tokens are refused everywhere', async () => {
    const user = await registerUser(auth);
    const cookie = await loginWithSession(auth, user);
    const caller = await loginWithToken(auth, user);

    const response = await changePassword(user, `new-${user.password}`, {
      bearer: caller.accessToken,
    });

    expectStatus(response, 200);
    expect(response.json).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: expect.any(Number),
      refresh_token: expect.any(String),
    });
    await expectAccessTokenDead(caller.accessToken);
    expectProblem(await refresh(auth, caller.refreshToken), 401, 'invalid_refresh_token');
    await expectCookieDead(cookie.jar);
    const access = response.json?.access_token ?? '';
    for (const [, client, path] of protectedRoutes) {
      expectStatus(await client().get(path, { bearer: access }), 200);
    }
    expectStatus(await refresh(auth, response.json?.refresh_token ?? ''), 200);
  });

  it('works through the gateway with the SHOP cookie, and the new password is the one that logs in', async () => {
    const user = await registerUser(shop, undefined, '/api/auth');
    const caller = await loginWithSession(shop, user, '/api/auth');
    const oldJar = caller.jar.clone();
    const newPassword = `new-${user.password}`;

    const response = await changePassword(
      user,
      newPassword,
      caller,
      shop,
      '/api/auth',
      sut.shop.origin,
    );

    expectStatus(response, 200);
    expectStatus(await shop.get('/api/me', { jar: caller.jar }), 200);
    expectProblem(await shop.get('/api/me', { jar: oldJar }), 401, 'unauthenticated');
    const withOld = await auth.post('/auth/token', { email: user.email, password: user.password });
    expectProblem(withOld, 401, 'invalid_credentials');
    await loginWithToken(auth, { email: user.email, password: newPassword });
  });

  it('answers 403 wrong_password to a wrong current password, and ends nothing', async () => {
    const user = await registerUser(auth);
    const caller = await loginWithSession(auth, user);
    const family = await loginWithToken(auth, user);

    const response = await auth.post(
      '/auth/password',
      { currentPassword: `${user.password}-wrong`, newPassword: `new-${user.password}` },
      { jar: caller.jar, headers: csrfHeaders(sut.auth.origin, caller.csrfToken) },
    );

    expectProblem(response, 403, 'wrong_password');
    await expectCookieWorks(caller.jar);
    expectStatus(await cart.get('/cart', { bearer: family.accessToken }), 200);
  });
});
