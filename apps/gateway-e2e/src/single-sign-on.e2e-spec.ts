import {
  ScriptedBrowser,
  csrfHeaders,
  expectStatus,
  http,
  loginWithToken,
  pollUntil,
  registerUser,
  startSystem,
  strongPassword,
} from '@svt/shared/testing';
import type {
  HttpClient,
  Navigation,
  RegisteredUser,
  SystemUnderTest,
  CookieJar,
} from '@svt/shared/testing';

let sut: SystemUnderTest;
let shop: HttpClient;
let auth: HttpClient;
let cart: HttpClient;

beforeAll(async () => {
  sut = await startSystem();
  shop = http(sut.shop);
  auth = http(sut.auth);
  cart = http(sut.cart);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

/** A browser over the three sites, with third-party cookies blocked (each jar is one site's). */
function aBrowser(): ScriptedBrowser {
  return new ScriptedBrowser([sut.shop, sut.auth, sut.cart]);
}

function isLoginPage(url: string): boolean {
  const target = new URL(url);
  return target.origin === sut.auth.origin && target.pathname.startsWith('/oidc/interaction/');
}

/** Fills AUTH's login page the navigation ended on, and follows where it leads. */
function signInAtAuth(
  browser: ScriptedBrowser,
  page: Navigation,
  user: RegisteredUser,
): Promise<Navigation> {
  expect(isLoginPage(page.url)).toBe(true);
  return browser.signIn(page, user);
}

/** "Sign in with AUTH" on SHOP, from a browser with no session anywhere. */
async function signInOnShop(browser: ScriptedBrowser, user: RegisteredUser): Promise<Navigation> {
  const page = await browser.navigate(`${sut.shop.origin}/api/sso/login`);
  return signInAtAuth(browser, page, user);
}

function sessionCookieOf(jar: CookieJar): string | undefined {
  return jar.get('__Host-Http-sid') ?? jar.get('sid');
}

describe('single sign-on from AUTH', () => {
  it('publishes its discovery document under the issuer, with the code flow and PKCE S256 only', async () => {
    const discovery = await auth.get('/.well-known/openid-configuration');
    expectStatus(discovery, 200);
    expect(discovery.json).toMatchObject({
      issuer: sut.auth.origin,
      authorization_endpoint: `${sut.auth.origin}/oidc/auth`,
      token_endpoint: `${sut.auth.origin}/oidc/token`,
      jwks_uri: `${sut.auth.origin}/oidc/jwks`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      id_token_signing_alg_values_supported: ['ES256'],
      authorization_response_iss_parameter_supported: true,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
    });
  });

  describe('when the user signs in on SHOP with AUTH', () => {
    let user: RegisteredUser;
    let browser: ScriptedBrowser;
    let arrived: Navigation;

    beforeAll(async () => {
      user = await registerUser(shop, undefined, '/api/auth');
      browser = aBrowser();
      arrived = await signInOnShop(browser, user);
    });

    it('lands back on the shop page with the usual shop session', async () => {
      expect(arrived.url).toBe(`${sut.shop.origin}/`);
      const session = await shop.get('/api/auth/session', { jar: browser.jar(sut.shop.origin) });
      expectStatus(session, 200);
      expect(session.json).toMatchObject({ user: { id: user.id, email: user.email } });
    });

    it('opens the cart site signed in, with no password prompt and only top-level redirects', async () => {
      const visit = await browser.navigate(`${sut.cart.origin}/`);
      expectStatus(visit.response, 200);
      expect(visit.url).toBe(`${sut.cart.origin}/`);
      expect(visit.hops.some((hop) => isLoginPage(hop.url))).toBe(false);
      expect(visit.response.text).toContain(user.id);
      // CART's own first-party session: its page calls CART's API same-origin.
      const cartJar = browser.jar(sut.cart.origin);
      expect(sessionCookieOf(cartJar)).toBeDefined();
      expectStatus(await cart.get('/cart', { jar: cartJar }), 200);
    });

    it('keeps each site’s cookies with that site', () => {
      const shopCookie = sessionCookieOf(browser.jar(sut.shop.origin));
      const cartCookie = sessionCookieOf(browser.jar(sut.cart.origin));
      expect(shopCookie).toBeDefined();
      expect(cartCookie).toBeDefined();
      expect(cartCookie).not.toBe(shopCookie);
    });

    it('lists the SSO sessions of SHOP and CART among the user’s sessions', async () => {
      const tokens = await loginWithToken(shop, user, '/api/auth');
      const listing = await shop.get<Record<string, unknown>[]>('/api/auth/sessions', {
        bearer: tokens.accessToken,
      });
      expectStatus(listing, 200);
      expect(listing.json?.filter((entry) => entry['method'] === 'session')).toHaveLength(2);
    });
  });

  describe('when the cart site is opened with no AUTH session', () => {
    it('asks AUTH for a login once, then shows the cart signed in', async () => {
      const user = await registerUser(shop, undefined, '/api/auth');
      const browser = aBrowser();
      const visit = await browser.navigate(`${sut.cart.origin}/`);
      expect(visit.hops.filter((hop) => isLoginPage(hop.url))).toHaveLength(1);
      const arrived = await signInAtAuth(browser, visit, user);
      expect(arrived.url).toBe(`${sut.cart.origin}/`);
      expectStatus(arrived.response, 200);
      expect(arrived.response.text).toContain(user.id);
    });

    it('answers a silent check (prompt=none) with a signed-out page, not a loop', async () => {
      const browser = aBrowser();
      const visit = await browser.navigate(`${sut.cart.origin}/sso/login?prompt=none`);
      expectStatus(visit.response, 200);
      expect(new URL(visit.url).origin).toBe(sut.cart.origin);
      expect(visit.url).toContain('sso=signed_out');
      expect(visit.hops.some((hop) => isLoginPage(hop.url))).toBe(false);
      expect(sessionCookieOf(browser.jar(sut.cart.origin))).toBeUndefined();
    });
  });

  describe('signing out', () => {
    it('on SHOP signs the cart site out within a second (back-channel logout)', async () => {
      const user = await registerUser(shop, undefined, '/api/auth');
      const browser = aBrowser();
      await signInOnShop(browser, user);
      expectStatus((await browser.navigate(`${sut.cart.origin}/`)).response, 200);
      const cartJar = browser.jar(sut.cart.origin);
      expectStatus(await cart.get('/cart', { jar: cartJar }), 200);

      const shopJar = browser.jar(sut.shop.origin);
      const session = await shop.get('/api/auth/session', { jar: shopJar });
      const loggedOutAt = Date.now();
      const logout = await shop.delete('/api/auth/session', {
        jar: shopJar,
        headers: csrfHeaders(sut.shop.origin, String(session.json?.['csrfToken'])),
      });
      expectStatus(logout, 204);
      const after = await pollUntil(
        () => cart.get('/cart', { jar: cartJar }),
        (response) => response.status === 401,
        { timeoutMs: 1_000, intervalMs: 25 },
      );
      expectStatus(after, 401);
      expect(Date.now() - loggedOutAt).toBeLessThan(1_000);
      // And the next visit asks AUTH for a password again: the OP session is gone too.
      const again = await browser.navigate(`${sut.cart.origin}/`);
      expect(isLoginPage(again.url)).toBe(true);
    });

    it('by a password change ends the SSO sessions on both sites and at AUTH', async () => {
      const user = await registerUser(shop, undefined, '/api/auth');
      const browser = aBrowser();
      await signInOnShop(browser, user);
      await browser.navigate(`${sut.cart.origin}/`);
      const tokens = await loginWithToken(shop, user, '/api/auth');
      const changed = await shop.post(
        '/api/auth/password',
        { currentPassword: user.password, newPassword: strongPassword() },
        { bearer: tokens.accessToken },
      );
      expect(changed.status).toBeLessThan(300);
      expectStatus(await cart.get('/cart', { jar: browser.jar(sut.cart.origin) }), 401);
      expectStatus(await shop.get('/api/auth/session', { jar: browser.jar(sut.shop.origin) }), 401);
      expect(isLoginPage((await browser.navigate(`${sut.cart.origin}/`)).url)).toBe(true);
    });

    it('of the cart site’s session from the session list ends the SSO session it came from', async () => {
      const user = await registerUser(shop, undefined, '/api/auth');
      const browser = aBrowser();
      await signInOnShop(browser, user);
      await browser.navigate(`${sut.cart.origin}/`);
      const cartJar = browser.jar(sut.cart.origin);
      const shopJar = browser.jar(sut.shop.origin);
      // Listed from SHOP's session: the one marked current is SHOP's, the other CART's.
      const listing = await shop.get<Record<string, unknown>[]>('/api/auth/sessions', {
        jar: shopJar,
      });
      const sessions = listing.json?.filter((entry) => entry['method'] === 'session') ?? [];
      expect(sessions).toHaveLength(2);
      const cartEntry = sessions.find((entry) => entry['current'] === false);
      const { csrfToken } = (await shop.get('/api/auth/session', { jar: shopJar })).json ?? {};
      expectStatus(
        await shop.delete(`/api/auth/sessions/${String(cartEntry?.['id'])}`, {
          jar: shopJar,
          headers: csrfHeaders(sut.shop.origin, String(csrfToken)),
        }),
        204,
      );
      expectStatus(await cart.get('/cart', { jar: cartJar }), 401);
      expect(isLoginPage((await browser.navigate(`${sut.cart.origin}/`)).url)).toBe(true);
    });

    it('everywhere (logout-all) ends the SSO sessions on both sites and at AUTH', async () => {
      const user = await registerUser(shop, undefined, '/api/auth');
      const browser = aBrowser();
      await signInOnShop(browser, user);
      await browser.navigate(`${sut.cart.origin}/`);
      const tokens = await loginWithToken(shop, user, '/api/auth');
      expectStatus(
        await shop.post('/api/auth/logout-all', undefined, { bearer: tokens.accessToken }),
        204,
      );
      expectStatus(await cart.get('/cart', { jar: browser.jar(sut.cart.origin) }), 401);
      expectStatus(await shop.get('/api/auth/session', { jar: browser.jar(sut.shop.origin) }), 401);
      expect(isLoginPage((await browser.navigate(`${sut.cart.origin}/`)).url)).toBe(true);
    });
  });

  it('names the issuer in the authorization response (RFC 9207)', async () => {
    const user = await registerUser(shop, undefined, '/api/auth');
    const browser = aBrowser();
    const page = await browser.navigate(`${sut.shop.origin}/api/sso/login`);
    const atCallback = await browser.signIn(page, user, {
      stopBefore: (url) => url.pathname === '/api/sso/callback',
    });
    const callback = new URL(atCallback.url);
    // RFC 9207: the response names its issuer.
    expect(callback.searchParams.get('iss')).toBe(sut.auth.origin);
    expect(callback.searchParams.get('code')).toBeTruthy();
  });
});
