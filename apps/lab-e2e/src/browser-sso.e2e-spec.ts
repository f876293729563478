import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { http, pollUntil, registerUser, startSystem } from '@svt/shared/testing';
import type { HttpClient, RegisteredUser, SystemUnderTest } from '@svt/shared/testing';
import type { Browser, BrowserContext, Cookie, Page, Request } from 'playwright-core';
import {
  forgetBrowserClaims,
  isPng,
  labFile,
  launchChromium,
  recordBrowserClaim,
  watchConsole,
} from './browser-support';

/**
 * Single sign-on in Chromium, which blocks third-party cookies: AUTH is the
 * OpenID Provider, the gateway (SHOP) and CART relying parties, each with a
 * first-party session of its own, reached by top-level redirects only. The
 * rows show what a browser does, next to the pattern that breaks (a silent
 * check in an iframe).
 */

const CLAIMS = {
  silent: 'Single sign-on gives the cart site its own session, without a password prompt',
  login: 'With no AUTH session the cart site asks AUTH for a login once',
  logout: 'Signing out on SHOP signs the cart site out (back-channel logout)',
  iframe: 'A silent check in an iframe gets no AUTH cookie and fails; a top-level redirect works',
} as const;

let browser: Browser;
let sut: SystemUnderTest;
let shop: HttpClient;

beforeAll(async () => {
  forgetBrowserClaims(Object.values(CLAIMS));
  browser = await launchChromium();
  sut = await startSystem();
  shop = http(sut.shop);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await sut?.stop();
});

/** A fresh profile: no cookie of any site. */
async function newTab(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return { context, page, problems: await watchConsole(page) };
}

function isLoginPage(url: string): boolean {
  const target = new URL(url);
  return target.origin === sut.auth.origin && target.pathname.startsWith('/oidc/interaction/');
}

/** The top-level navigations of `page` (redirects included), in order, from Chromium's own log. */
function recordNavigations(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request: Request) => {
    // GETs only: posting the login form is not another visit of the page.
    if (
      request.isNavigationRequest() &&
      request.frame() === page.mainFrame() &&
      request.method() === 'GET'
    ) {
      urls.push(request.url());
    }
  });
  return urls;
}

async function fillAuthLogin(page: Page, user: RegisteredUser): Promise<void> {
  await page.locator('#email').fill(user.email);
  await page.locator('#password').fill(user.password);
  await page.locator('button[type="submit"]').click();
}

/** Each site's cookies, by host, with their bytes (name + value, as a Cookie header carries them). */
function cookieJars(
  cookies: readonly Cookie[],
): Record<string, { names: string[]; bytes: number }> {
  const jars: Record<string, { names: string[]; bytes: number }> = {};
  for (const cookie of cookies) {
    const jar = (jars[cookie.domain] ??= { names: [], bytes: 0 });
    jar.names.push(cookie.name);
    jar.bytes += cookie.name.length + 1 + cookie.value.length;
  }
  return jars;
}

function describeJars(jars: Record<string, { names: string[]; bytes: number }>): string {
  return Object.entries(jars)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([host, jar]) => `${host}: ${jar.names.sort().join(', ')} (${jar.bytes} bytes)`)
    .join('; ');
}

describe('single sign-on across sites in Chromium', () => {
  let user: RegisteredUser;
  let context: BrowserContext;
  let shopPage: Page;
  let cartPage: Page;
  let problems: string[];

  beforeAll(async () => {
    user = await registerUser(shop, undefined, '/api/auth');
    ({ context, page: shopPage, problems } = await newTab());
    await shopPage.goto(`${sut.shop.origin}/`);
    await shopPage.locator('body[data-ready="true"]').waitFor();
    await shopPage.locator('[data-action="sso-login"]').click();
    await shopPage.waitForURL((url) => isLoginPage(url.href));
    await fillAuthLogin(shopPage, user);
    await shopPage.waitForURL(`${sut.shop.origin}/`);
    await shopPage.locator('#state[data-session="true"]').waitFor();
    await shopPage.screenshot({ path: labFile('sso-shop.png'), fullPage: true });
  }, 30_000);

  afterAll(async () => {
    await context?.close();
  });

  it('opens the cart site top-level signed in: no password prompt, first-party cookies only', async () => {
    cartPage = await context.newPage();
    cartPage.setDefaultTimeout(10_000);
    problems.push(...(await watchConsole(cartPage)));
    const navigations = recordNavigations(cartPage);
    const started = performance.now();
    await cartPage.goto(`${sut.cart.origin}/`);
    await cartPage.locator('#cart-user').filter({ hasText: user.id }).waitFor();
    await cartPage.locator('#cart-items[data-loaded="true"]').waitFor({ state: 'attached' });
    const elapsedMs = performance.now() - started;

    expect(navigations.some(isLoginPage)).toBe(false);
    expect(navigations[navigations.length - 1]).toBe(`${sut.cart.origin}/`);
    const jars = cookieJars(await context.cookies());
    const hosts = Object.keys(jars).sort();
    expect(hosts).toEqual(['auth.localhost', 'cart.localhost', 'shop.localhost']);
    // No site holds a cookie of another: each jar is keyed by the host that set it.
    for (const cookie of await context.cookies()) {
      expect(cookie.domain.startsWith('.')).toBe(false);
    }
    const png = await cartPage.screenshot({ path: labFile('sso-cart.png'), fullPage: true });
    expect(isPng(png)).toBe(true);

    recordBrowserClaim(
      CLAIMS.silent,
      `Chromium ${browser.version()}: the cart page signed in ${Math.round(elapsedMs)} ms after ` +
        `"open ${sut.cart.origin}/", ${navigations.length - 1} redirects (${navigations
          .map((url) => new URL(url).host + new URL(url).pathname)
          .join(' → ')}), no login page; cookie jars: ${describeJars(jars)}`,
    );
  });

  it('signs the cart page out on its next request after a logout on SHOP', async () => {
    const loggedOut = await shopPage.evaluate(async () => {
      const session = await fetch('/api/auth/session');
      const { csrfToken } = (await session.json()) as { csrfToken: string };
      const at = Date.now();
      const answer = await fetch('/api/auth/session', {
        method: 'DELETE',
        headers: { 'X-CSRF-Token': csrfToken },
      });
      return { status: answer.status, at };
    });
    expect(loggedOut.status).toBe(204);
    // The cart page's next request (its refresh button) finds the session gone.
    await cartPage.locator('#cart-refresh').click();
    await cartPage.locator('#cart-signed-out').waitFor();
    const delayMs = Date.now() - loggedOut.at;
    expect(delayMs).toBeLessThan(1_000);

    recordBrowserClaim(
      CLAIMS.logout,
      `logout on SHOP answered 204; the cart page's next request was signed out ${delayMs} ms after it ` +
        '(AUTH ended the OP session and posted a logout token to CART)',
    );
  });

  it('logged no console error, uncaught exception or CSP violation', () => {
    expect(problems).toEqual([]);
  });
});

describe('the cart site with no AUTH session', () => {
  it('asks AUTH for a login once, then shows the cart signed in', async () => {
    const user = await registerUser(shop, undefined, '/api/auth');
    const { context, page, problems } = await newTab();
    const navigations = recordNavigations(page);
    await page.goto(`${sut.cart.origin}/`);
    await page.waitForURL((url) => isLoginPage(url.href));
    const loginPng = await page.screenshot({ path: labFile('sso-auth-login.png') });
    await fillAuthLogin(page, user);
    await page.locator('#cart-user').filter({ hasText: user.id }).waitFor();
    await context.close();

    expect(isPng(loginPng)).toBe(true);
    expect(navigations.filter(isLoginPage)).toHaveLength(1);
    expect(problems).toEqual([]);

    recordBrowserClaim(
      CLAIMS.login,
      `${navigations.filter(isLoginPage).length} login page at ${sut.auth.origin}, then back to ` +
        `${sut.cart.origin}/ signed in; ${navigations.length} navigations in all`,
    );
  });
});

describe('a silent check in an iframe beside a top-level redirect', () => {
  it('fails in the iframe (no AUTH cookie in a third-party context) and works top-level', async () => {
    const user = await registerUser(shop, undefined, '/api/auth');
    const { context, page } = await newTab();
    // An AUTH session, from signing in at the cart site once.
    await page.goto(`${sut.cart.origin}/`);
    await page.waitForURL((url) => isLoginPage(url.href));
    await fillAuthLogin(page, user);
    await page.locator('#cart-user').filter({ hasText: user.id }).waitFor();

    // A page of another site that frames AUTH's authorization endpoint
    // with prompt=none, the silent check of iframe-based single sign-on.
    const silentCheck = new URL('/oidc/auth', sut.auth.origin);
    for (const [name, value] of Object.entries({
      client_id: 'cart',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${sut.cart.origin}/sso/callback`,
      prompt: 'none',
      state: 'lab',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    })) {
      silentCheck.searchParams.set(name, value);
    }
    // What the iframe asked AUTH with, and where AUTH sent it: CART's callback, with a code or an error.
    const sent: boolean[] = [];
    const answers: URL[] = [];
    page.on('request', async (request) => {
      const url = new URL(request.url());
      if (url.origin === silentCheck.origin && url.pathname === silentCheck.pathname) {
        sent.push(((await request.allHeaders())['cookie'] ?? '').includes('_session'));
      } else if (url.origin === sut.cart.origin && url.pathname === '/sso/callback') {
        answers.push(url);
      }
    });
    // Served by a real local server: a page Chromium intercepted would count as a
    // public one, and its Local Network Access checks would block any frame of AUTH.
    const framing = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(
        `<!doctype html><title>silent check</title><iframe src="${silentCheck.href}"></iframe>`,
      );
    });
    await new Promise<void>((resolve) => framing.listen(0, '127.0.0.1', resolve));
    const framingOrigin = `http://lab.localhost:${(framing.address() as AddressInfo).port}`;
    await page.goto(`${framingOrigin}/`);
    await pollUntil(
      async () => answers.length,
      (count) => count > 0,
      { timeoutMs: 5_000, intervalMs: 50 },
    );
    const inIframe = answers[0]?.searchParams.get('error');

    framing.closeAllConnections();
    await new Promise<void>((resolve) => framing.close(() => resolve()));

    const topLevel = await page.goto(`${sut.cart.origin}/sso/login?prompt=none`);
    await page.locator('#cart-user').filter({ hasText: user.id }).waitFor();
    await context.close();

    expect(sent[0]).toBe(false);
    expect(inIframe).toBe('login_required');
    expect(topLevel?.ok()).toBe(true);

    recordBrowserClaim(
      CLAIMS.iframe,
      `with an AUTH session in the profile: the iframe on ${framingOrigin} sent no AUTH cookie (a third-party context) and got ` +
        `error=${inIframe}; the top-level redirect (prompt=none) signed the cart site in`,
    );
  });
});
