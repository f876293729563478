import { setTimeout as sleep } from 'node:timers/promises';
import {
  CookieJar,
  expectProblem,
  expectStatus,
  http,
  loginWithSession,
  loginFormToken,
  loginWithToken,
  pollUntil,
  registerUser,
  ScriptedBrowser,
  startSystem,
  strongPassword,
  uniqueEmail,
} from '@svt/shared/testing';
import type {
  HttpClient,
  HttpResponse,
  MeteredService,
  RegisteredUser,
  SystemUnderTest,
  UserBody,
} from '@svt/shared/testing';

/**
 * The mailed links of the account lifecycle, end to end: AUTH mails them to
 * the system's mail catcher, and the tests read them there as a user would.
 */

let sut: SystemUnderTest;
let auth: HttpClient;
let shop: HttpClient;
let cart: HttpClient;

beforeAll(async () => {
  sut = await startSystem();
  auth = http(sut.auth);
  shop = http(sut.shop);
  cart = http(sut.cart);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

const FORGOT_ANSWER = { detail: 'If an account uses this address, a reset link is on its way.' };

/** The token of the newest `#<key>=` link mailed to `to`. */
async function mailedToken(to: string, key: 'verify-email' | 'reset-password'): Promise<string> {
  const mail = await sut.mail.waitForMail(to, (caught) =>
    caught.links.some((link) => link.includes(`#${key}=`)),
  );
  return sut.mail.linkIn(mail, key);
}

async function requestReset(user: RegisteredUser): Promise<string> {
  const response = await auth.post('/auth/password/forgot', { email: user.email });
  expectStatus(response, 202);
  return mailedToken(user.email, 'reset-password');
}

describe('e-mail verification', () => {
  it('mails a link to the shop origin at registration that verifies the address once', async () => {
    const user = await registerUser(auth);
    const mail = await sut.mail.waitForMail(user.email);
    expect(mail.links).toEqual([expect.stringMatching(/#verify-email=[\w-]{43}$/)]);
    expect(new URL(mail.links[0]).origin).toBe(sut.shop.origin);
    const token = sut.mail.linkIn(mail, 'verify-email');

    const verified = await auth.post<UserBody>('/auth/email/verify', { token });

    expectStatus(verified, 200);
    expect(verified.json).toEqual({ id: user.id, email: user.email, emailVerified: true });
    const session = await loginWithSession(auth, user);
    expect(session.user.emailVerified).toBe(true);
    const me = await auth.get('/auth/me', { jar: session.jar });
    expect(me.json).toMatchObject({ emailVerified: true });
    expectProblem(
      await auth.post('/auth/email/verify', { token }),
      400,
      'invalid_verification_token',
    );
  });

  it('works through the gateway, as the demo page posts it', async () => {
    const user = await registerUser(shop, undefined, '/api/auth');
    const token = await mailedToken(user.email, 'verify-email');
    const response = await shop.post<UserBody>(
      '/api/auth/email/verify',
      { token },
      { headers: { origin: sut.shop.origin } },
    );
    expectStatus(response, 200);
    expect(response.json?.emailVerified).toBe(true);
  });

  it('refuses an unknown token with 400 invalid_verification_token', async () => {
    expectProblem(
      await auth.post('/auth/email/verify', { token: 'x'.repeat(43) }),
      400,
      'invalid_verification_token',
    );
  });

  it('mails a new link to a signed-in owner on request, and none once the address is verified', async () => {
    const user = await registerUser(auth);
    await mailedToken(user.email, 'verify-email');
    const { accessToken } = await loginWithToken(auth, user);

    const again = await auth.post('/auth/email/verification', {}, { bearer: accessToken });

    expectStatus(again, 202);
    expect(again.json).toEqual({});
    const mails = await pollUntil(
      () => sut.mail.messages(user.email),
      (caught) => caught.length >= 2,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(mails).toHaveLength(2);
    const token = sut.mail.linkIn(mails[0], 'verify-email');
    expectStatus(await auth.post('/auth/email/verify', { token }), 200);

    expectStatus(await auth.post('/auth/email/verification', {}, { bearer: accessToken }), 202);
    // Long enough for a mail that should not exist to reach the catcher.
    await sleep(500);
    await expect(sut.mail.messages(user.email)).resolves.toHaveLength(2);
  });

  it('needs a credential to ask for a new link', async () => {
    expectProblem(await auth.post('/auth/email/verification', {}), 401, 'unauthenticated');
  });
});

describe('with REQUIRE_VERIFIED_EMAIL=true', () => {
  let replica: MeteredService;
  let strict: HttpClient;

  beforeAll(async () => {
    replica = await sut.startReplica('auth', { REQUIRE_VERIFIED_EMAIL: 'true' });
    strict = http(replica);
  }, 60_000);

  it('refuses an unverified account only once the password matched, and logs it in once verified', async () => {
    const user = await registerUser(strict);
    const wrong = { email: user.email, password: `${user.password}-wrong` };
    const right = { email: user.email, password: user.password };

    expectProblem(await strict.post('/auth/session', wrong), 401, 'invalid_credentials');
    expectProblem(await strict.post('/auth/token', wrong), 401, 'invalid_credentials');
    expectProblem(await strict.post('/auth/session', right), 403, 'email_not_verified');
    expectProblem(await strict.post('/auth/token', right), 403, 'email_not_verified');

    const token = await mailedToken(user.email, 'verify-email');
    expectStatus(await strict.post('/auth/email/verify', { token }), 200);
    expectStatus(await strict.post('/auth/session', right), 201);
    expectStatus(await strict.post('/auth/token', right), 201);
  });

  it("refuses an unverified account at the OpenID Provider's login page, once the password matched", async () => {
    const user = await registerUser(strict);
    // AUTH's origin answered by the strict replica; the shop starts the sign-in.
    const browser = new ScriptedBrowser([sut.shop, replica, sut.cart]);
    const page = await browser.navigate(`${sut.cart.origin}/`);
    expect(new URL(page.url).pathname).toMatch(/^\/oidc\/interaction\//);
    const post = (password: string) =>
      browser.postForm(page.url, {
        csrf: loginFormToken(page.response.text),
        email: user.email,
        password,
      });

    const wrong = await post(`${user.password}-wrong`);
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('The email or password is incorrect.');
    const unverified = await post(user.password);
    expect(unverified.status).toBe(403);
    expect(unverified.text).toContain('Verify your e-mail address first');
    expect(unverified.headers['location']).toBeUndefined();
  });
});

describe('password reset', () => {
  it('answers 202 with the same body for a known and an unknown address', async () => {
    const user = await registerUser(auth);
    const known = await auth.post('/auth/password/forgot', { email: user.email });
    const unknown = await auth.post('/auth/password/forgot', { email: uniqueEmail('nobody') });
    expectStatus(known, 202);
    expectStatus(unknown, 202);
    expect(known.json).toEqual(FORGOT_ANSWER);
    expect(unknown.json).toEqual(FORGOT_ANSWER);
  });

  it('sets the new password with the mailed link, verifies the address, and says so by mail', async () => {
    const user = await registerUser(auth);
    const token = await requestReset(user);
    const newPassword = strongPassword();

    const reset = await auth.post('/auth/password/reset', { token, newPassword });

    expectStatus(reset, 204);
    expectProblem(
      await auth.post('/auth/token', { email: user.email, password: user.password }),
      401,
      'invalid_credentials',
    );
    const session = await loginWithSession(auth, { email: user.email, password: newPassword });
    expect(session.user.emailVerified).toBe(true);
    const notice = await sut.mail.waitForMail(user.email, (mail) =>
      mail.subject.includes('password was changed'),
    );
    expect(notice.links).toEqual([]);
    expectProblem(
      await auth.post('/auth/password/reset', { token, newPassword: strongPassword() }),
      400,
      'invalid_reset_token',
    );
  });

  it('refuses a new password the registration would refuse, and keeps the token', async () => {
    const user = await registerUser(auth);
    const token = await requestReset(user);
    expectProblem(
      await auth.post('/auth/password/reset', { token, newPassword: 'short' }),
      400,
      'validation_failed',
    );
    expectStatus(
      await auth.post('/auth/password/reset', { token, newPassword: strongPassword() }),
      204,
    );
  });

  it('works through the gateway, as the demo page posts it', async () => {
    const user = await registerUser(shop, undefined, '/api/auth');
    const forgot = await shop.post(
      '/api/auth/password/forgot',
      { email: user.email },
      { headers: { origin: sut.shop.origin } },
    );
    expectStatus(forgot, 202);
    const token = await mailedToken(user.email, 'reset-password');
    const reset = await shop.post(
      '/api/auth/password/reset',
      { token, newPassword: strongPassword() },
      { headers: { origin: sut.shop.origin } },
    );
    expectStatus(reset, 204);
  });

  it('ends every credential of the account within a second, at the gateway and at CART', async () => {
    const user = await registerUser(shop, undefined, '/api/auth');
    const cookie = await loginWithSession(shop, user, '/api/auth', new CookieJar());
    const bearer = await loginWithToken(shop, user, '/api/auth');
    const probes: Record<string, () => Promise<HttpResponse<unknown>>> = {
      'session cookie at the gateway': () => shop.get('/api/me', { jar: cookie.jar }),
      'access token at the gateway': () => shop.get('/api/me', { bearer: bearer.accessToken }),
      'access token at CART': () => cart.get('/cart', { bearer: bearer.accessToken }),
      'cookie session at the cart route of the gateway': () =>
        shop.get('/api/cart', { jar: cookie.jar }),
    };
    for (const [name, probe] of Object.entries(probes)) {
      expect([name, (await probe()).status]).toEqual([name, 200]);
    }
    const token = await requestReset(user);

    const reset = await auth.post('/auth/password/reset', { token, newPassword: strongPassword() });
    const answeredAt = performance.now();
    expectStatus(reset, 204);

    const refusedAfter = await Promise.all(
      Object.entries(probes).map(async ([name, probe]) => {
        for (;;) {
          const status = (await probe()).status;
          const elapsed = performance.now() - answeredAt;
          if (status === 401 || elapsed > 5_000) return { name, status, elapsed };
          await sleep(10);
        }
      }),
    );
    const slowest = Math.max(...refusedAfter.map((probe) => probe.elapsed));
    console.log(`revocation after reset: ${Math.round(slowest)} ms`);
    for (const probe of refusedAfter) expect([probe.name, probe.status]).toEqual([probe.name, 401]);
    expect(slowest).toBeLessThan(1000);
    expectProblem(
      await auth.post('/auth/token/refresh', { refresh_token: bearer.refreshToken }),
      401,
      'invalid_refresh_token',
    );
  });
});
