import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import {
  ScriptedBrowser,
  authorizationUrl,
  csrfHeaders,
  decodeJwt,
  epochSeconds,
  expectStatus,
  generateEs256Key,
  http,
  loginFormToken,
  pkcePair,
  pollUntil,
  randomHex,
  redeemCode,
  registerUser,
  signEs256Jwt,
  startSystem,
  testRelyingParty,
} from '@svt/shared/testing';
import type {
  HttpClient,
  HttpResponse,
  JsonObject,
  Navigation,
  RegisteredUser,
  SystemUnderTest,
  TestRelyingParty,
} from '@svt/shared/testing';

/**
 * The OpenID Connect rules, attacked one by one: at AUTH's provider (RFC 9700
 * and OAuth 2.1 for the code flow, OpenID Connect Core, RP-Initiated and
 * Back-Channel Logout 1.0) and at the relying parties (state, nonce, RFC 9207
 * `iss`). Every attack is refused with the right OAuth error or problem code,
 * never a 500.
 */

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

let sut: SystemUnderTest;
let auth: HttpClient;
let shop: HttpClient;
let cart: HttpClient;
let cartParty: TestRelyingParty;
let recorder: LogoutRecorder;

/**
 * Stands between AUTH and CART (AUTH's CART_URL points here) and keeps a copy
 * of every logout token AUTH posts, so that a suite can replay a real one.
 */
interface LogoutRecorder {
  readonly url: string;
  readonly tokens: string[];
  forwardTo(url: string): void;
  close(): Promise<void>;
}

async function startLogoutRecorder(): Promise<LogoutRecorder> {
  const tokens: string[] = [];
  let target = '';
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const token = new URLSearchParams(body.toString('utf8')).get('logout_token');
      if (token) tokens.push(token);
      request(`${target}${incoming.url ?? '/'}`, {
        method: incoming.method as 'GET' | 'POST',
        headers: { 'content-type': incoming.headers['content-type'] ?? 'text/plain' },
        body: incoming.method === 'POST' ? body : undefined,
      }).then(
        async (answer) => {
          outgoing.writeHead(answer.statusCode, {
            'content-type': String(answer.headers['content-type'] ?? 'text/plain'),
          });
          outgoing.end(Buffer.from(await answer.body.arrayBuffer()));
        },
        () => outgoing.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tokens,
    forwardTo: (url) => (target = url),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

beforeAll(async () => {
  recorder = await startLogoutRecorder();
  sut = await startSystem({ env: { auth: { CART_URL: recorder.url } } });
  recorder.forwardTo(sut.cart.url);
  auth = http(sut.auth);
  shop = http(sut.shop);
  cart = http(sut.cart);
  cartParty = await testRelyingParty(sut.dataDir, 'cart', `${sut.cart.origin}/sso/callback`);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
  await recorder?.close();
});

function aBrowser(): ScriptedBrowser {
  return new ScriptedBrowser([sut.shop, sut.auth, sut.cart]);
}

function isLoginPage(url: string): boolean {
  return new URL(url).pathname.startsWith('/oidc/interaction/');
}

/** Never a 500, whatever the attack. */
function expectNoServerError(response: HttpResponse<unknown>): void {
  expect(response.status).toBeLessThan(500);
}

/** The OAuth error a redirect to the client carries, in its query or its fragment. */
function redirectError(response: HttpResponse<unknown>): string | null {
  const location = response.headers['location'];
  if (!location) return null;
  const url = new URL(location);
  return url.searchParams.get('error') ?? new URLSearchParams(url.hash.slice(1)).get('error');
}

/** Signs `user` in at AUTH's login page the browser is on, and follows until the client's callback. */
async function signInUntilCallback(
  browser: ScriptedBrowser,
  page: Navigation,
  user: RegisteredUser,
  callbackPath: string,
): Promise<URL> {
  expect(isLoginPage(page.url)).toBe(true);
  const atCallback = await browser.signIn(page, user, {
    stopBefore: (url) => url.pathname === callbackPath,
  });
  return new URL(atCallback.url);
}

/** A code issued to the test's `cart` client for a new user, with the PKCE verifier it needs. */
async function aCode(parameters: Record<string, string> = {}): Promise<{
  code: string;
  verifier: string;
  user: RegisteredUser;
}> {
  const user = await registerUser(shop, undefined, '/api/auth');
  const browser = aBrowser();
  const { verifier, challenge } = pkcePair();
  const page = await browser.navigate(
    authorizationUrl(sut.auth.origin, cartParty, {
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: randomHex(8),
      nonce: randomHex(8),
      ...parameters,
    }),
  );
  const callback = await signInUntilCallback(browser, page, user, '/sso/callback');
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code: ${callback.href}`);
  return { code, verifier, user };
}

describe('OpenID Connect at AUTH and the relying parties', () => {
  describe('the authorization code (RFC 9700 §2.1.1, §4.2.4)', () => {
    it('is single-use: a replay is invalid_grant and revokes what the first redemption issued', async () => {
      const { code, verifier } = await aCode();
      const first = await redeemCode(auth, cartParty, { code, code_verifier: verifier });
      expectStatus(first, 200);
      const accessToken = String(first.json?.['access_token']);
      expectStatus(await auth.get('/oidc/me', { bearer: accessToken }), 200);

      const replay = await redeemCode(auth, cartParty, { code, code_verifier: verifier });
      expect(replay.status).toBe(400);
      expect(replay.json?.['error']).toBe('invalid_grant');
      expect((await auth.get('/oidc/me', { bearer: accessToken })).status).toBe(401);
    });

    it('carries no personal data in the ID token beyond sub', async () => {
      const { code, verifier, user } = await aCode({ nonce: 'n-0S6_WzA2Mj' });
      const redeemed = await redeemCode(auth, cartParty, { code, code_verifier: verifier });
      expectStatus(redeemed, 200);
      const { header, payload } = decodeJwt(String(redeemed.json?.['id_token']));
      expect(header['alg']).toBe('ES256');
      expect(payload).toMatchObject({ iss: sut.auth.origin, aud: 'cart', sub: user.id });
      expect(payload['nonce']).toBe('n-0S6_WzA2Mj');
      expect(JSON.stringify(payload)).not.toContain(user.email);
    });

    it('gives ID tokens that no API takes as an access token (RFC 8725 §3.11)', async () => {
      const { code, verifier } = await aCode();
      const redeemed = await redeemCode(auth, cartParty, { code, code_verifier: verifier });
      const idToken = String(redeemed.json?.['id_token']);
      for (const [client, path] of [
        [shop, '/api/me'],
        [cart, '/cart'],
        [auth, '/auth/me'],
      ] as const) {
        const answer = await client.get(path, { bearer: idToken });
        expect(answer.status).toBe(401);
        expect(answer.json?.['code']).toBe('invalid_token');
      }
    });

    it.each([
      ['a wrong verifier', (verifier: string) => `${verifier.slice(0, -2)}xx`],
      ['no verifier', () => undefined],
    ])('is refused with %s (PKCE, RFC 7636)', async (_case, verifierFor) => {
      const { code, verifier } = await aCode();
      const redeemed = await redeemCode(auth, cartParty, {
        code,
        code_verifier: verifierFor(verifier),
      });
      expectNoServerError(redeemed);
      expect(redeemed.status).toBe(400);
      expect(['invalid_grant', 'invalid_request']).toContain(redeemed.json?.['error']);
    });

    it('is refused without the client’s own key (private_key_jwt)', async () => {
      const { code, verifier } = await aCode();
      const stranger = generateEs256Key();
      const now = epochSeconds();
      const forged = signEs256Jwt(
        {
          iss: 'cart',
          sub: 'cart',
          aud: sut.auth.origin,
          jti: randomHex(8),
          iat: now,
          exp: now + 60,
        },
        stranger,
      );
      const redeemed = await redeemCode(auth, cartParty, {
        code,
        code_verifier: verifier,
        client_assertion: forged,
      });
      expect(redeemed.status).toBe(401);
      expect(redeemed.json?.['error']).toBe('invalid_client');
    });
  });

  describe('the authorization request', () => {
    it.each([
      ['without a code_challenge', {}],
      [
        'with the plain PKCE method',
        { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' },
      ],
    ])('is refused %s (PKCE S256 is mandatory)', async (_case, pkce: Record<string, string>) => {
      const answer = await aBrowser().get(
        authorizationUrl(sut.auth.origin, cartParty, {
          state: randomHex(8),
          nonce: randomHex(8),
          ...pkce,
        }),
      );
      expectNoServerError(answer);
      expect(answer.status).toBe(303);
      expect(redirectError(answer)).toBe('invalid_request');
    });

    it('is refused for the implicit flow (code only)', async () => {
      const answer = await aBrowser().get(
        authorizationUrl(sut.auth.origin, cartParty, {
          response_type: 'token',
          state: randomHex(8),
          nonce: randomHex(8),
        }),
      );
      expectNoServerError(answer);
      expect(redirectError(answer)).toBe('unsupported_response_type');
    });

    it.each([
      ['an extra path', (uri: URL) => `${uri.href}/more`],
      ['a query', (uri: URL) => `${uri.href}?next=1`],
      ['another case', (uri: URL) => uri.href.replace('/sso/callback', '/SSO/callback')],
      ['another port', (uri: URL) => uri.href.replace(`:${uri.port}`, `:${Number(uri.port) + 1}`)],
      ['another site', () => 'http://evil.localhost:8082/sso/callback'],
    ])('never redirects to a redirect_uri with %s (exact match)', async (_case, vary) => {
      const answer = await aBrowser().get(
        authorizationUrl(sut.auth.origin, cartParty, {
          redirect_uri: vary(new URL(cartParty.redirectUri)),
          code_challenge: pkcePair().challenge,
          code_challenge_method: 'S256',
          state: randomHex(8),
        }),
      );
      expect(answer.status).toBe(400);
      expect(answer.headers['location']).toBeUndefined();
      expect(answer.text).toContain('invalid_redirect_uri');
    });
  });

  describe('the relying party’s callback', () => {
    /** A browser signed in at AUTH, stopped at CART's callback of a flow CART started. */
    async function atCartCallback(): Promise<{ browser: ScriptedBrowser; callback: URL }> {
      const user = await registerUser(shop, undefined, '/api/auth');
      const browser = aBrowser();
      const page = await browser.navigate(`${sut.cart.origin}/sso/login`);
      const callback = await signInUntilCallback(browser, page, user, '/sso/callback');
      return { browser, callback };
    }

    async function expectRefusedCallback(browser: ScriptedBrowser, url: URL): Promise<void> {
      const answer = await browser.get(url.href);
      expectNoServerError(answer);
      expect(answer.status).toBe(400);
      expect(answer.json?.['code']).toBe('sso_failed');
      expect(
        browser.jar(sut.cart.origin).get('__Host-Http-sid') ??
          browser.jar(sut.cart.origin).get('sid'),
      ).toBeUndefined();
    }

    it('refuses a state that is not the one it sent', async () => {
      const { browser, callback } = await atCartCallback();
      callback.searchParams.set('state', randomHex(8));
      await expectRefusedCallback(browser, callback);
    });

    it('refuses a response that names another issuer (mix-up, RFC 9207)', async () => {
      const { browser, callback } = await atCartCallback();
      callback.searchParams.set('iss', 'http://evil.localhost:8081');
      await expectRefusedCallback(browser, callback);
    });

    it('refuses an ID token whose nonce is not the one it sent', async () => {
      const user = await registerUser(shop, undefined, '/api/auth');
      const browser = aBrowser();
      // CART's own request, seen by the attacker on its way to AUTH.
      const started = await browser.get(`${sut.cart.origin}/sso/login`);
      const sent = new URL(String(started.headers['location']));
      // The same request with the attacker's nonce: a code whose ID token CART did not ask for.
      sent.searchParams.set('nonce', randomHex(8));
      const page = await browser.navigate(sent.href);
      const callback = await signInUntilCallback(browser, page, user, '/sso/callback');
      await expectRefusedCallback(browser, callback);
    });

    it('answers an error from AUTH with a clear problem, never a session', async () => {
      const browser = aBrowser();
      await browser.get(`${sut.cart.origin}/sso/login`);
      const callback = new URL(`${sut.cart.origin}/sso/callback`);
      callback.searchParams.set('error', 'access_denied');
      callback.searchParams.set('state', randomHex(8));
      const answer = await browser.get(callback.href);
      expectNoServerError(answer);
      expect(answer.status).toBe(400);
    });
  });

  describe('back-channel logout tokens', () => {
    function postLogoutToken(token: string): Promise<HttpResponse<JsonObject>> {
      return cart.request({
        method: 'POST',
        path: '/sso/backchannel-logout',
        body: new URLSearchParams({ logout_token: token }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    }

    function logoutClaims(overrides: JsonObject = {}): JsonObject {
      const now = epochSeconds();
      const claims: JsonObject = {
        iss: sut.auth.origin,
        aud: 'cart',
        iat: now,
        exp: now + 120,
        jti: randomHex(16),
        sub: 'someone',
        sid: randomHex(16),
        events: { [BACKCHANNEL_EVENT]: {} },
        ...overrides,
      };
      return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
    }

    it('refuses one signed by a key AUTH never had', async () => {
      const answer = await postLogoutToken(
        signEs256Jwt(logoutClaims(), generateEs256Key(), { typ: 'logout+jwt' }),
      );
      expect(answer.status).toBe(400);
      expect(answer.json?.['error']).toBe('invalid_request');
    });

    it('refuses a replay of a real one, and one that is not a logout token', async () => {
      const user = await registerUser(shop, undefined, '/api/auth');
      const browser = aBrowser();
      await browser.signIn(await browser.navigate(`${sut.shop.origin}/api/sso/login`), user);
      expectStatus((await browser.navigate(`${sut.cart.origin}/`)).response, 200);
      const before = recorder.tokens.length;
      // Sign out on SHOP: AUTH ends the OP session and tells CART by the back channel.
      const shopJar = browser.jar(sut.shop.origin);
      const session = await shop.get('/api/auth/session', { jar: shopJar });
      const signOut = await shop.delete('/api/auth/session', {
        jar: shopJar,
        headers: csrfHeaders(sut.shop.origin, String(session.json?.['csrfToken'])),
      });
      expectStatus(signOut, 204);
      const tokens = await pollUntil(
        async () => recorder.tokens.slice(before),
        (seen) => seen.length > 0,
        { timeoutMs: 2_000, intervalMs: 25 },
      );
      expect(tokens.length).toBeGreaterThan(0);
      const replay = await postLogoutToken(tokens[0]);
      expect(replay.status).toBe(400);
      expect(replay.json?.['error']).toBe('invalid_request');
      // The same claims with a nonce are an ID token, not a logout token (§2.4).
      const { payload } = decodeJwt(tokens[0]);
      const withNonce = await postLogoutToken(
        signEs256Jwt({ ...payload, nonce: 'x', jti: randomHex(16) }, generateEs256Key()),
      );
      expect(withNonce.status).toBe(400);
    });

    it.each([
      ['without the back-channel event', { events: undefined }],
      ['for another client', { aud: 'shop' }],
      ['from another issuer', { iss: 'http://evil.localhost:8081' }],
      ['without a sid', { sid: undefined }],
    ])('refuses one %s', async (_case, overrides) => {
      const answer = await postLogoutToken(
        signEs256Jwt(logoutClaims(overrides), generateEs256Key(), { typ: 'logout+jwt' }),
      );
      expectNoServerError(answer);
      expect(answer.status).toBe(400);
    });
  });

  describe('RP-initiated logout', () => {
    it('never redirects to a post_logout_redirect_uri that is not registered', async () => {
      const url = new URL('/oidc/session/end', sut.auth.origin);
      url.searchParams.set('client_id', 'cart');
      url.searchParams.set('post_logout_redirect_uri', 'http://evil.localhost:8082/');
      const answer = await aBrowser().get(url.href);
      expectNoServerError(answer);
      expect(answer.status).toBe(400);
      expect(answer.headers['location']).toBeUndefined();
    });
  });

  describe('AUTH’s login page', () => {
    async function aLoginPage(): Promise<{ browser: ScriptedBrowser; page: Navigation }> {
      const browser = aBrowser();
      return { browser, page: await browser.navigate(`${sut.cart.origin}/`) };
    }

    it('cannot be framed by another site (clickjacking)', async () => {
      const { page } = await aLoginPage();
      expect(isLoginPage(page.url)).toBe(true);
      expect(page.response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(page.response.headers['x-frame-options']).toBe('DENY');
      expect(page.response.headers['content-security-policy']).toContain("default-src 'none'");
    });

    it.each([
      [
        'from another site',
        (token: string) => ({ fields: { csrf: token }, from: 'http://evil.localhost:9999' }),
      ],
      ['without its CSRF token', () => ({ fields: {}, from: undefined })],
      ['with a forged CSRF token', () => ({ fields: { csrf: randomHex(16) }, from: undefined })],
    ])('refuses a login posted %s (login CSRF)', async (_case, attack) => {
      const user = await registerUser(shop, undefined, '/api/auth');
      const { browser, page } = await aLoginPage();
      const { fields, from } = attack(loginFormToken(page.response.text));
      const answer = await browser.postForm(
        page.url,
        { ...fields, email: user.email, password: user.password },
        from,
      );
      expect(answer.status).toBe(403);
      expect(answer.headers['location']).toBeUndefined();
    });

    it('refuses, with nothing to fill in, a sign-in another browser started', async () => {
      const { page } = await aLoginPage();
      const elsewhere = await aBrowser().get(page.url);
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.text).not.toContain('<form');
      expect(elsewhere.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    });

    it('answers a wrong password with one message and no redirect', async () => {
      const user = await registerUser(shop, undefined, '/api/auth');
      const { browser, page } = await aLoginPage();
      const answer = await browser.postForm(page.url, {
        csrf: loginFormToken(page.response.text),
        email: user.email,
        password: `${user.password}x`,
      });
      expect(answer.status).toBe(401);
      expect(answer.text).toContain('The email or password is incorrect.');
    });
  });

  it('keeps the shop session’s CSRF rule for the SSO session (a logout without the token is refused)', async () => {
    const user = await registerUser(shop, undefined, '/api/auth');
    const browser = aBrowser();
    await browser.signIn(await browser.navigate(`${sut.shop.origin}/api/sso/login`), user);
    const jar = browser.jar(sut.shop.origin);
    const refused = await shop.delete('/api/auth/session', {
      jar,
      headers: csrfHeaders(sut.shop.origin, 'not-the-token'),
    });
    expect(refused.status).toBe(403);
  });
});
