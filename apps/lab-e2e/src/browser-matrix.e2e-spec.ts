import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  http,
  loginWithToken,
  newCredentials,
  registerUser,
  startSystem,
} from '@svt/shared/testing';
import type { Credentials, HttpClient, SystemUnderTest } from '@svt/shared/testing';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import {
  forgetBrowserClaims,
  isPng,
  labFile,
  launchChromium,
  recordBrowserClaim,
  watchConsole,
} from './browser-support';

/**
 * The demo page in Debian's Chromium: which credential reaches which server
 * when a real browser applies its cookie and CORS rules. Each scenario logs in
 * through the page's own buttons, runs its matrix, and records what the
 * servers' echo endpoints saw in tmp/lab/browser.jsonl.
 */

const CLAIMS = {
  matrix: 'Cookies are single-site; headers cross sites',
  bytes: 'A bearer token costs more bytes per request than a session cookie',
  parentDomain:
    'A parent-domain cookie reaches same-site sibling hosts, and still never another site',
  cors: 'CORS lets only the SHOP page read a Bearer call to CART',
} as const;

/**
 * The device cookie of a session login (OWASP device cookies), host-only on
 * SHOP and scoped to AUTH's routes there: it never rides along elsewhere.
 */
const DEVICE_COOKIE_IN_BROWSER = expect.objectContaining({
  name: '__Secure-device',
  domain: 'shop.localhost',
  path: '/api/auth',
  httpOnly: true,
  secure: true,
  sameSite: 'Strict',
});

const CREDENTIALS = ['session', 'bearer'] as const;
const DESTINATIONS = ['gateway-me', 'gateway-cart', 'cart-direct', 'sibling-me'] as const;
type Credential = (typeof CREDENTIALS)[number];
type Destination = (typeof DESTINATIONS)[number];
type CellKey = `${Credential} ${Destination}`;

/** A matrix cell's data attributes, as the page rendered them. */
interface Cell {
  status: string;
  cookieSent: string;
  authorizationSent: string;
  credentialBytes: string;
}

/** What the gateway tells the page at `/demo/config.json`. */
interface DemoConfig {
  shopOrigin: string;
  apiOrigin: string;
  cartOrigin: string;
  authOrigin: string;
  sessionCookieName: string;
}

/** A page on SHOP, with its console watched and its requests kept. */
interface ShopPage {
  context: BrowserContext;
  page: Page;
  problems: string[];
  requests: Request[];
}

let browser: Browser;

beforeAll(async () => {
  forgetBrowserClaims(Object.values(CLAIMS));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function demoConfig(shop: HttpClient): Promise<DemoConfig> {
  const response = await shop.get<DemoConfig>('/demo/config.json');
  if (response.status !== 200 || response.json === undefined) {
    throw new Error(`e2e set-up: /demo/config.json answered ${response.status}: ${response.text}`);
  }
  return response.json;
}

async function openShop(shopOrigin: string): Promise<ShopPage> {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Fail with Playwright's message before jest's timeout does without one.
  page.setDefaultTimeout(10_000);
  const problems = await watchConsole(page);
  const requests: Request[] = [];
  page.on('request', (request) => requests.push(request));
  await page.goto(`${shopOrigin}/`);
  await page.locator('body[data-ready="true"]').waitFor();
  return { context, page, problems, requests };
}

/**
 * Clicks a button of the page and waits until the status line reports the
 * outcome: `done` on success, or the page's "Error: …" (asserted against, so
 * the failure shows the page's own explanation).
 */
async function act(page: Page, action: string, done: RegExp): Promise<void> {
  await page.locator(`[data-action="${action}"]`).click();
  const status = page.locator('#status');
  await status.filter({ hasText: new RegExp(`${done.source}|^Error:`) }).waitFor();
  expect(await status.textContent()).toMatch(done);
}

/** Register, log in with a session and with tokens, all through the page's buttons. */
async function logInBothWays(page: Page, credentials: Credentials): Promise<void> {
  await page.locator('#credentials [name="email"]').fill(credentials.email);
  await page.locator('#credentials [name="password"]').fill(credentials.password);
  await act(page, 'register', /^Registered /);
  await act(page, 'session-login', /^Logged in with a session /);
  await act(page, 'token-login', /^Logged in with tokens: /);
  await page.locator('#state[data-session="true"][data-tokens="true"]').waitFor();
}

async function runMatrix(page: Page): Promise<Record<CellKey, Cell>> {
  await act(page, 'run-matrix', /^Ran the matrix: /);
  await page.locator('#matrix[data-complete="true"]').waitFor();
  const cells = await page.$$eval('#matrix td[data-credential]', (elements) =>
    elements.map((element) => ({
      ...(element as unknown as { dataset: Record<string, string | undefined> }).dataset,
    })),
  );
  const matrix: Partial<Record<CellKey, Cell>> = {};
  for (const cell of cells) {
    matrix[`${cell['credential'] as Credential} ${cell['destination'] as Destination}`] = {
      status: cell['status'] ?? '(none)',
      cookieSent: cell['cookieSent'] ?? '(none)',
      authorizationSent: cell['authorizationSent'] ?? '(none)',
      credentialBytes: cell['credentialBytes'] ?? '(none)',
    };
  }
  return matrix as Record<CellKey, Cell>;
}

/** The origins to which the browser sent the session cookie, from its own request log. */
async function originsSentCookie(requests: readonly Request[], name: string): Promise<string[]> {
  const origins = new Set<string>();
  for (const request of requests) {
    const cookie = (await request.allHeaders())['cookie'] ?? '';
    if (cookie.split(';').some((pair) => pair.trim().startsWith(`${name}=`))) {
      origins.add(new URL(request.url()).origin);
    }
  }
  return [...origins].sort();
}

/** "session: gateway-me 200 (cookie sent), …; bearer: …", one line for the lab report. */
function describeMatrix(matrix: Record<CellKey, Cell>): string {
  return CREDENTIALS.map((credential) => {
    const cells = DESTINATIONS.map((destination) => {
      const cell = matrix[`${credential} ${destination}`];
      const sent =
        credential === 'session'
          ? cell.cookieSent === 'true'
            ? 'cookie sent'
            : 'no cookie'
          : cell.authorizationSent === 'true'
            ? 'header sent'
            : 'no header';
      return `${destination} ${cell.status} (${sent})`;
    });
    return `${credential}: ${cells.join(', ')}`;
  }).join('; ');
}

describe('the default deployment: a host-only __Host- session cookie', () => {
  let sut: SystemUnderTest;
  let shop: HttpClient;
  let config: DemoConfig;

  beforeAll(async () => {
    sut = await startSystem();
    shop = http(sut.shop);
    config = await demoConfig(shop);
  }, 120_000);

  afterAll(async () => {
    await sut?.stop();
  });

  describe('the matrix, run from the page on SHOP', () => {
    let shopPage: ShopPage;
    let matrix: Record<CellKey, Cell>;

    beforeAll(async () => {
      shopPage = await openShop(config.shopOrigin);
      await logInBothWays(shopPage.page, newCredentials());
      matrix = await runMatrix(shopPage.page);
    }, 30_000);

    afterAll(async () => {
      await shopPage?.context.close();
    });

    it('keeps the session cookie on SHOP (not sent to CART, nor to the sibling host) and sends the Bearer header everywhere', async () => {
      expect(matrix).toMatchObject({
        'session gateway-me': { status: '200', cookieSent: 'true' },
        'session gateway-cart': { status: '200', cookieSent: 'true' },
        'session cart-direct': { status: '401', cookieSent: 'false' },
        'session sibling-me': { status: '401', cookieSent: 'false' },
        ...Object.fromEntries(
          DESTINATIONS.map((destination) => [
            `bearer ${destination}`,
            { status: '200', authorizationSent: 'true', cookieSent: 'false' },
          ]),
        ),
      });
      expect(config.sessionCookieName).toBe('__Host-Http-sid');
      const cookies = await shopPage.context.cookies();
      expect(cookies).toHaveLength(2);
      expect(cookies).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            name: '__Host-Http-sid',
            domain: 'shop.localhost',
            path: '/',
            httpOnly: true,
            secure: true,
            sameSite: 'Strict',
          }),
          DEVICE_COOKIE_IN_BROWSER,
        ]),
      );
      // Chromium's own request log, not the page's report of the echoes.
      expect(await originsSentCookie(shopPage.requests, config.sessionCookieName)).toEqual([
        config.shopOrigin,
      ]);

      recordBrowserClaim(
        CLAIMS.matrix,
        `Chromium ${browser.version()}, default deployment: ${describeMatrix(matrix)}`,
      );
    });

    it('counts more bytes for the Authorization header than for the Cookie header, as the servers saw them', async () => {
      const cookieBytes = Number(matrix['session gateway-me'].credentialBytes);
      const bearerBytes = Number(matrix['bearer gateway-me'].credentialBytes);
      const pageBytes = await shopPage.page
        .locator('#state')
        .getAttribute('data-access-token-bytes');

      expect(cookieBytes).toBeGreaterThan(config.sessionCookieName.length);
      expect(bearerBytes).toBeGreaterThan(cookieBytes);
      // The page's count of the header it holds equals what arrived, at each server.
      for (const destination of DESTINATIONS) {
        expect(matrix[`bearer ${destination}`].credentialBytes).toBe(pageBytes);
      }

      recordBrowserClaim(
        CLAIMS.bytes,
        `per request, as the gateway's echo counted the header line: Cookie ${cookieBytes} bytes, ` +
          `Authorization ${bearerBytes} bytes (${(bearerBytes / cookieBytes).toFixed(1)}×); ` +
          `CART and the sibling host saw the same ${bearerBytes}-byte Authorization header`,
      );
    });

    it('shows the run in a screenshot (tmp/lab/matrix.png)', async () => {
      const png = await shopPage.page.screenshot({ path: labFile('matrix.png'), fullPage: true });

      expect(isPng(png)).toBe(true);
    });

    it('logged no console error, uncaught exception or CSP violation', () => {
      expect(shopPage.problems).toEqual([]);
    });
  });

  describe('CORS for a Bearer call straight to CART', () => {
    let token: string;
    let evil: Server;
    let evilOrigin: string;

    beforeAll(async () => {
      const user = await registerUser(shop, newCredentials(), '/api/auth');
      token = (await loginWithToken(shop, user, '/api/auth')).accessToken;
      // Another site's page: the same script, from an origin CART never allowed.
      evil = createServer((request, response) => {
        if (request.url === '/') {
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          response.end('<!doctype html><title>elsewhere</title><link rel="icon" href="data:," />');
        } else {
          response.writeHead(404).end();
        }
      });
      await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
      evilOrigin = `http://evil.localhost:${(evil.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      evil?.closeAllConnections();
      await new Promise<void>((resolve) => (evil ? evil.close(() => resolve()) : resolve()));
    });

    /** In the page: a Bearer GET of CART's /cart; the status and body, or the rejection. */
    function fetchCart(page: Page): Promise<{ status?: number; items?: unknown; error?: string }> {
      return page.evaluate(
        async ({ url, authorization }) => {
          try {
            const response = await fetch(url, { headers: { Authorization: authorization } });
            const body = (await response.json()) as { items?: unknown };
            return { status: response.status, items: body.items };
          } catch (error) {
            return { error: `${(error as Error).name}: ${(error as Error).message}` };
          }
        },
        { url: `${config.cartOrigin}/cart`, authorization: `Bearer ${token}` },
      );
    }

    function preflight(origin: string) {
      return http(sut.cart).options('/cart', {
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
    }

    it('lets the page on SHOP read the answer, and rejects the same call from a page on another site', async () => {
      const shopPage = await openShop(config.shopOrigin);
      const fromShop = await fetchCart(shopPage.page);
      await shopPage.context.close();
      // Another site's page is not the demo: its CORS console lines are the evidence here.
      const context = await browser.newContext();
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      const evilConsole: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') evilConsole.push(message.text());
      });
      await page.goto(`${evilOrigin}/`);
      const fromEvil = await fetchCart(page);
      await context.close();
      const shopPreflight = await preflight(config.shopOrigin);
      const evilPreflight = await preflight(evilOrigin);

      expect(fromShop).toEqual({ status: 200, items: [] });
      expect(shopPage.problems).toEqual([]);
      expect(shopPreflight.headers['access-control-allow-origin']).toBe(config.shopOrigin);
      expect(fromEvil).toEqual({ error: 'TypeError: Failed to fetch' });
      // Chromium says why in the console; the page itself only sees the TypeError.
      expect(evilConsole.join('\n')).toMatch(
        /from origin '[^']+' has been blocked by CORS policy: Response to preflight request/,
      );
      expect(evilPreflight.headers['access-control-allow-origin']).toBeUndefined();

      recordBrowserClaim(
        CLAIMS.cors,
        `GET ${config.cartOrigin}/cart with Authorization: from ${config.shopOrigin} 200 and readable; ` +
          `from ${evilOrigin} the fetch rejects (${fromEvil.error}) and CART's preflight answer ` +
          `(${evilPreflight.status}) carries no Access-Control-Allow-Origin`,
      );
    });
  });
});

describe('a deployment with a parent-domain cookie (SESSION_COOKIE_DOMAIN=shop.localhost)', () => {
  let sut: SystemUnderTest;
  let config: DemoConfig;
  let shopPage: ShopPage;
  let matrix: Record<CellKey, Cell>;

  beforeAll(async () => {
    const domain = { SESSION_COOKIE_DOMAIN: 'shop.localhost' };
    sut = await startSystem({ env: { auth: domain, gateway: domain, cart: domain } });
    config = await demoConfig(http(sut.shop));
    shopPage = await openShop(config.shopOrigin);
    await logInBothWays(shopPage.page, newCredentials());
    matrix = await runMatrix(shopPage.page);
  }, 120_000);

  afterAll(async () => {
    await shopPage?.context.close();
    await sut?.stop();
  });

  it('sets an __Http- cookie for the whole of shop.localhost', async () => {
    expect(config.sessionCookieName).toBe('__Http-sid');
    const cookies = await shopPage.context.cookies();
    expect(cookies).toHaveLength(2);
    expect(cookies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: '__Http-sid',
          domain: '.shop.localhost',
          httpOnly: true,
          secure: true,
          sameSite: 'Strict',
        }),
        DEVICE_COOKIE_IN_BROWSER,
      ]),
    );
  });

  it('sends it to the sibling host too, and still never to CART', async () => {
    expect(matrix).toMatchObject({
      'session gateway-me': { status: '200', cookieSent: 'true' },
      'session gateway-cart': { status: '200', cookieSent: 'true' },
      'session cart-direct': { status: '401', cookieSent: 'false' },
      'session sibling-me': { status: '200', cookieSent: 'true' },
    });
    expect(await originsSentCookie(shopPage.requests, config.sessionCookieName)).toEqual(
      [config.apiOrigin, config.shopOrigin].sort(),
    );

    recordBrowserClaim(
      CLAIMS.parentDomain,
      `Chromium ${browser.version()}, __Http-sid; Domain=shop.localhost: ${describeMatrix(matrix)}`,
    );
  });

  it('shows the run in a screenshot (tmp/lab/matrix-parent-domain.png)', async () => {
    const png = await shopPage.page.screenshot({
      path: labFile('matrix-parent-domain.png'),
      fullPage: true,
    });

    expect(isPng(png)).toBe(true);
  });

  it('logged no console error, uncaught exception or CSP violation', () => {
    expect(shopPage.problems).toEqual([]);
  });
});
