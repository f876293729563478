import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  forgetBrowserClaims,
  launchChromium,
  recordBrowserClaim,
  watchConsole,
} from './browser-support';
import { selfSignedCertificate } from './https-front';

/**
 * What Chromium does with a cookie that CART sets in answer to a call from
 * another site, over https as a deployment would run: made-up `.test` names
 * mapped to 127.0.0.1 and a certificate generated for this run. One https
 * server plays both sites, telling them apart by Host: shop.test serves an
 * empty page, cart.test sets two cookies and echoes which ones come back.
 * Chromium blocks third-party cookies by default; a CHIPS (`Partitioned`)
 * cookie is the exception it makes, kept per top-level site.
 */

const CLAIM = 'A cart cookie set from another site';

/** Each run uses a fresh browser profile: the result must not depend on an earlier run. */
const RUNS = 3;

const SET_COOKIES = [
  'third=1; SameSite=None; Secure; Path=/',
  'chips=1; SameSite=None; Secure; Path=/; Partitioned',
];

let server: Server;
let shopOrigin: string;
let cartOrigin: string;
let browser: Browser;

beforeAll(async () => {
  forgetBrowserClaims([CLAIM]);
  server = createServer(await selfSignedCertificate(['shop.test', 'cart.test']), answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  shopOrigin = `https://shop.test:${port}`;
  cartOrigin = `https://cart.test:${port}`;
  browser = await launchChromium([
    '--host-resolver-rules=MAP *.test 127.0.0.1',
    // The certificate is self-signed; the cookie rules under test are those of https.
    '--ignore-certificate-errors',
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

function answer(request: IncomingMessage, response: ServerResponse): void {
  const host = new URL(`https://${request.headers.host ?? 'unknown'}`).hostname;
  const path = request.url ?? '/';
  if (path === '/favicon.ico') {
    response.writeHead(204).end();
  } else if (host === 'shop.test' && path === '/') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>shop.test</title><link rel="icon" href="data:," />');
  } else if (host === 'cart.test' && (path === '/set' || path === '/echo')) {
    // CORS with credentials for the shop page only, as the real CART does.
    const cors =
      request.headers.origin === shopOrigin
        ? { 'access-control-allow-origin': shopOrigin, 'access-control-allow-credentials': 'true' }
        : {};
    const names = (request.headers.cookie ?? '')
      .split(';')
      .map((pair) => pair.split('=', 1)[0].trim())
      .filter(Boolean)
      .sort();
    response.writeHead(200, {
      ...cors,
      vary: 'Origin',
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...(path === '/set' ? { 'set-cookie': SET_COOKIES } : {}),
    });
    response.end(JSON.stringify(path === '/set' ? { set: ['third', 'chips'] } : { names }));
  } else {
    response.writeHead(404).end();
  }
}

/** What one fresh profile saw. Cookie names, sorted; jar entries as `name@partition`. */
interface Observation {
  /** Names arriving at cart.test/echo, fetched from the shop.test page after its /set call. */
  fromShop: string[];
  /** The profile's cookie jar after that. */
  jar: string[];
  /** Names arriving when cart.test/echo is opened as a top-level page. */
  topLevel: string[];
  /** The same after cart.test/set was opened top-level (CART as a first party). */
  topLevelAfterOwnSet: string[];
  /** Names arriving at cart.test/echo from the shop.test page after that. */
  fromShopAfterOwnSet: string[];
}

/** In the page: a credentialed GET of `url` and the names the echo reports. */
function fetchNames(page: Page, url: string): Promise<string[]> {
  return page.evaluate(async (target) => {
    const response = await fetch(target, { credentials: 'include' });
    const body = (await response.json()) as { names?: string[] };
    return body.names ?? [];
  }, url);
}

async function topLevelNames(page: Page, path: string): Promise<string[]> {
  const response = await page.goto(`${cartOrigin}${path}`);
  const body = (await response?.json()) as { names?: string[] } | undefined;
  return body?.names ?? [];
}

async function jarOf(context: BrowserContext): Promise<string[]> {
  return (await context.cookies())
    .map((cookie) => `${cookie.name}@${cookie.partitionKey ?? 'unpartitioned'}`)
    .sort();
}

async function observe(problems: string[]): Promise<Observation> {
  const context = await browser.newContext();
  try {
    const shop = await context.newPage();
    shop.setDefaultTimeout(10_000);
    const shopProblems = await watchConsole(shop);
    await shop.goto(`${shopOrigin}/`);
    await shop.evaluate(async (url) => {
      await fetch(url, { credentials: 'include' });
    }, `${cartOrigin}/set`);
    const fromShop = await fetchNames(shop, `${cartOrigin}/echo`);
    const jar = await jarOf(context);

    const cart = await context.newPage();
    cart.setDefaultTimeout(10_000);
    const cartProblems = await watchConsole(cart);
    const topLevel = await topLevelNames(cart, '/echo');
    await topLevelNames(cart, '/set');
    const topLevelAfterOwnSet = await topLevelNames(cart, '/echo');
    const fromShopAfterOwnSet = await fetchNames(shop, `${cartOrigin}/echo`);

    problems.push(...shopProblems, ...cartProblems);
    return { fromShop, jar, topLevel, topLevelAfterOwnSet, fromShopAfterOwnSet };
  } finally {
    await context.close();
  }
}

describe('a cookie CART sets in answer to a fetch from another site (https, Chromium defaults)', () => {
  const problems: string[] = [];
  const runs: Observation[] = [];

  beforeAll(async () => {
    for (let run = 0; run < RUNS; run++) runs.push(await observe(problems));
  }, 30_000);

  it('blocks the SameSite=None; Secure cookie as third-party, keeps the Partitioned one for shop.test only, and gives cart.test its own cookies at top level', () => {
    const expected: Observation = {
      fromShop: ['chips'],
      jar: ['chips@https://shop.test'],
      // The partitioned cookie belongs to shop.test's partition, not to cart.test's own.
      topLevel: [],
      topLevelAfterOwnSet: ['chips', 'third'],
      // A first-party cookie of cart.test is still not sent on a call from another site.
      fromShopAfterOwnSet: ['chips'],
    };

    expect(runs).toEqual(Array.from({ length: RUNS }, () => expected));

    recordBrowserClaim(
      CLAIM,
      `Chromium ${browser.version()} over https, shop.test page calling fetch(cart.test/set, ` +
        `{credentials:'include'}) then /echo, ${RUNS} fresh profiles, the same each time: ` +
        `"third" (SameSite=None; Secure) blocked as a third-party cookie, never stored; ` +
        `"chips" (Partitioned) stored in the https://shop.test partition and sent back to calls ` +
        `from shop.test; cart.test/echo opened top-level received nothing; after cart.test/set ` +
        `opened top-level, cart.test received chips and third, and calls from the shop.test ` +
        `page still carried only chips`,
    );
  });

  it('logged no console error, uncaught exception or CSP violation', () => {
    expect(problems).toEqual([]);
  });
});
