import type { webcrypto } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { generateKeyPair, generateProof } from 'dpop';
import { decodeJwt, http, newCredentials, startSystem } from '@svt/shared/testing';
import type { HttpClient, HttpResponse, SystemUnderTest } from '@svt/shared/testing';
import type { Browser, BrowserContext, Cookie, Page } from 'playwright-core';
import {
  forgetBrowserClaims,
  isPng,
  labFile,
  launchChromium,
  launchChromiumWithDbsc,
  recordBrowserClaim,
  watchConsole,
} from './browser-support';
import {
  SESSION_COOKIE,
  cookieHeader,
  copyJarAfterRenewal,
  describeOutcome,
  meFromNode,
  refreshWithAnotherKey,
  waitForBinding,
} from './dbsc-session';
import type { BoundSessionRow, ForgedRefresh } from './dbsc-session';
import { startHttpsSystem } from './https-system';
import type { HttpsSystem } from './https-system';

/**
 * Cross-site scripting against each way the demo page holds a login: a
 * session cookie (the BFF pattern), Bearer tokens in the page's memory,
 * DPoP-bound tokens (RFC 9449) whose key is non-extractable, and a session
 * cookie that Chromium binds to a key of its own (DBSC, over https: see
 * browser-dbsc.e2e-spec.ts). The attacker is script running in the SHOP
 * page: Playwright's `page.evaluate` stands in for the injected script, and
 * what it returns to the test stands in for its channel out. "Another
 * machine" is Node, outside the browser, calling the gateway with what the
 * script sent out (for DBSC also with the whole cookie jar, which no script
 * reaches but malware on the machine would).
 *
 * For each mode a user logs in through the page's buttons and uses the page;
 * then the script tries to (1) read the credential, (2) have it replayed from
 * Node, now and again after one shared two-minute wait, (3) ride the login
 * from inside the open page, and (4) keep access after the tab is closed.
 * Every cell below is an attempt and an assertion on its outcome.
 */

const CLAIMS = {
  read: 'XSS: what an injected script can read of each credential',
  replay: 'XSS: a stolen credential replayed from another machine, now and 2 minutes later',
  ride: 'XSS: riding the login from inside the open page works in every mode',
  afterClose: 'XSS: access kept after the tab is closed',
} as const;

/** The shared wait between "now" and "later": past DPoP's 60-second `iat` window. */
const WAIT_MS = 120_000;

/** How far ahead the attacker dates one proof: inside the `iat` window when "later" comes. */
const FUTURE_IAT_S = 110;

/** The DBSC bound cookie's lifetime: half the shared wait, so that "later" finds the copy's expired. */
const BOUND_COOKIE_TTL = 60;

/** What the wiretap kept: every Authorization and DPoP header the page sent, every token pair it received. */
interface Loot {
  readonly sent: { url: string; authorization: string | null; dpop: string | null }[];
  readonly pairs: { access_token: string; refresh_token: string; token_type: string }[];
}

/** A proof the attacker has the page's key sign. */
interface ProofSpec {
  readonly htm: string;
  readonly htu: string;
  /** Seconds added to now for `iat`. */
  readonly iatOffset: number;
  /** Whether the proof goes with the access token (`ath`); a refresh proof does not. */
  readonly withToken: boolean;
  /** The server's nonce, when it demands one. */
  readonly nonce?: string;
}

/** What the script got out of the page's IndexedDB key. */
interface KeyAttack {
  readonly privateExtractable: boolean | null;
  readonly exportJwk: string;
  readonly exportPkcs8: string;
  readonly proofs: string[];
}

/** One call the script makes from inside the page. */
interface InPageCall {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** A page on SHOP, with its console watched. */
interface ShopPage {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly problems: string[];
}

interface MeBody {
  userId?: string;
  method?: string;
  code?: string;
}

interface TokenBody {
  code?: string;
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
}

/** The servers' setting that makes every proof carry a recent server nonce (RFC 9449 §8, §9). */
const NONCES = { DPOP_NONCE_REQUIRED: 'true' };

/** Chromium's console line for a 400 answer: how a token endpoint asks for a nonce. */
const NONCE_DEMAND_LINE = 'Failed to load resource: the server responded with a status of 400';

let browser: Browser;
let sut: SystemUnderTest;
let nonceSut: SystemUnderTest | undefined;
let shop: HttpClient;
let shopOrigin: string;
/** The DBSC column's own system, behind https, and a Chromium that binds sessions. */
let dbscSystem: HttpsSystem;
let dbscBrowser: Browser;

beforeAll(async () => {
  forgetBrowserClaims(Object.values(CLAIMS));
  browser = await launchChromium();
  sut = await startSystem();
  shop = http(sut.shop);
  shopOrigin = sut.shop.origin;
  dbscSystem = await startHttpsSystem({
    auth: { DBSC_BOUND_COOKIE_TTL: String(BOUND_COOKIE_TTL) },
  });
  dbscBrowser = await launchChromiumWithDbsc(dbscSystem.front.spkiHash);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await dbscBrowser?.close();
  await sut?.stop();
  await nonceSut?.stop();
  await dbscSystem?.stop();
});

async function openShop(origin = shopOrigin, on: Browser = browser): Promise<ShopPage> {
  const context = await on.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = await watchConsole(page);
  await page.goto(`${origin}/`);
  await page.locator('body[data-ready="true"]').waitFor();
  return { context, page, problems };
}

/** Clicks a button of the page and waits for the status line to report `done` (or an error). */
async function act(page: Page, action: string, done: RegExp): Promise<void> {
  await page.locator(`[data-action="${action}"]`).click();
  const status = page.locator('#status');
  await status.filter({ hasText: new RegExp(`${done.source}|^Error:`) }).waitFor();
  expect(await status.textContent()).toMatch(done);
}

/** The user: registers and logs in one way, through the page's buttons. */
async function logIn(page: Page, action: string, done: RegExp): Promise<void> {
  const credentials = newCredentials();
  await page.locator('#credentials [name="email"]').fill(credentials.email);
  await page.locator('#credentials [name="password"]').fill(credentials.password);
  await act(page, 'register', /^Registered /);
  await act(page, action, done);
}

async function runMatrix(page: Page): Promise<void> {
  await act(page, 'run-matrix', /^Ran the matrix: /);
  await page.locator('#matrix[data-complete="true"]').waitFor();
}

// ---------------------------------------------------------------------------
// The injected script. These functions run in the page (page.evaluate): they
// may use nothing but their argument and what the page's globals offer.
// ---------------------------------------------------------------------------

/** The little of IndexedDB the script uses (this project's types carry no DOM). */
interface IdbRequest<T> {
  readonly result: T;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbScope {
  readonly indexedDB: {
    open(name: string): IdbRequest<{
      transaction(store: string): {
        objectStore(store: string): { get(key: string): IdbRequest<unknown> };
      };
      close(): void;
    }>;
  };
}

/** Wraps `window.fetch`: from now on, every header the app sends and every token it receives is copied. */
function installWiretap(): void {
  const scope = globalThis as unknown as { fetch: typeof fetch; __loot: Loot };
  const loot: Loot = { sent: [], pairs: [] };
  scope.__loot = loot;
  const original = scope.fetch;
  scope.fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    loot.sent.push({
      url: String(input),
      authorization: headers.get('authorization'),
      dpop: headers.get('dpop'),
    });
    const response = await original.call(globalThis, input, init);
    try {
      const body = (await response.clone().json()) as Loot['pairs'][number];
      if (typeof body.refresh_token === 'string') loot.pairs.push(body);
    } catch {
      // Not JSON: nothing to take.
    }
    return response;
  };
}

function readLoot(): Loot {
  return (globalThis as unknown as { __loot: Loot }).__loot;
}

function readDocumentCookie(): string {
  return (globalThis as unknown as { document: { cookie: string } }).document.cookie;
}

/**
 * Takes the page's DPoP key pair from IndexedDB (the names are in the page's
 * own /demo/dpop.js), tries to export the private key, and has the key sign
 * the proofs asked for.
 */
async function attackKey(args: { token: string; specs: readonly ProofSpec[] }): Promise<KeyAttack> {
  const { indexedDB } = globalThis as unknown as IdbScope;
  const settle = <T>(request: IdbRequest<T>) =>
    new Promise<T>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(new Error('IndexedDB refused'));
    });
  const database = await settle(indexedDB.open('shop-web'));
  const keys = (await settle(
    database.transaction('keys').objectStore('keys').get('dpop'),
  )) as webcrypto.CryptoKeyPair;
  database.close();
  const tryExport = (attempt: Promise<unknown>) =>
    attempt.then(
      () => 'exported',
      (error: Error) => `${error.name}: ${error.message}`,
    );
  const base64url = (bytes: ArrayBuffer | Uint8Array) =>
    btoa(String.fromCharCode(...new Uint8Array(bytes)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  const json = (value: unknown) => base64url(new TextEncoder().encode(JSON.stringify(value)));
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keys.publicKey);
  const ath = base64url(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(args.token)),
  );
  const proofs: string[] = [];
  for (const spec of args.specs) {
    const input = `${json({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } })}.${json({
      jti: base64url(crypto.getRandomValues(new Uint8Array(16))),
      htm: spec.htm,
      htu: spec.htu,
      iat: Math.floor(Date.now() / 1000) + spec.iatOffset,
      ...(spec.withToken ? { ath } : {}),
      ...(spec.nonce ? { nonce: spec.nonce } : {}),
    })}`;
    const signature = await crypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      keys.privateKey,
      new TextEncoder().encode(input),
    );
    proofs.push(`${input}.${base64url(signature)}`);
  }
  return {
    privateExtractable: keys.privateKey.extractable,
    exportJwk: await tryExport(crypto.subtle.exportKey('jwk', keys.privateKey)),
    exportPkcs8: await tryExport(crypto.subtle.exportKey('pkcs8', keys.privateKey)),
    proofs,
  };
}

/** Calls from inside the page, with the browser adding whatever cookie it holds. */
async function fetchInPage(
  calls: readonly InPageCall[],
): Promise<{ status: number; body: unknown }[]> {
  const results: { status: number; body: unknown }[] = [];
  for (const call of calls) {
    const response = await fetch(call.path, {
      method: call.method,
      headers: call.headers,
      body: call.body,
      credentials: 'include',
    });
    const text = await response.text();
    results.push({ status: response.status, body: text ? (JSON.parse(text) as unknown) : null });
  }
  return results;
}

// ---------------------------------------------------------------------------
// The other machine: Node, with what the script sent out.
// ---------------------------------------------------------------------------

function getMe(headers: Record<string, string | undefined>): Promise<HttpResponse<MeBody>> {
  return shop.get<MeBody>('/api/me', { headers });
}

function refresh(
  refreshToken: string,
  headers: Record<string, string | undefined> = {},
): Promise<HttpResponse<TokenBody>> {
  return shop.post<TokenBody>(
    '/api/auth/token/refresh',
    { refresh_token: refreshToken },
    { headers },
  );
}

/** "200 (bearer)", "401 invalid_dpop_proof": one outcome, for the lab row. */
function outcome(response: HttpResponse<MeBody | TokenBody | Record<string, unknown>>): string {
  const body = response.json as Record<string, unknown> | undefined;
  const detail =
    response.status < 300
      ? typeof body?.['method'] === 'string'
        ? ` (${body['method']})`
        : ''
      : typeof body?.['code'] === 'string'
        ? ` ${body['code']}`
        : '';
  return `${response.status}${detail}`;
}

function proofPayload(proof: string): Record<string, unknown> {
  return decodeJwt(proof).payload;
}

describe('an injected script against each way the page holds a login', () => {
  const meUrl = () => `${shopOrigin}/api/me`;
  const refreshUrl = () => `${shopOrigin}/api/auth/token/refresh`;

  let sessionPage: ShopPage;
  let bearerPage: ShopPage;
  let dpopPage: ShopPage;
  let dbscPage: ShopPage;
  /** The DBSC session's row in the listing, its handle the `session_identifier`. */
  let dbscRow: BoundSessionRow | null;

  // What the script sent out, mode by mode.
  let stolenCookie: string;
  let bearerLoot: Loot;
  let bearerToken: string;
  let bearerRefresh: string;
  let dpopLoot: Loot;
  let dpopToken: string;
  let dpopRefresh: string;
  let keyAttack: KeyAttack;
  /** Pre-minted by the page's key: [now, later, later with a future iat]. */
  let preMinted: string[];
  let preMintedRefresh: string;
  let noncePage: ShopPage | undefined;
  /** Pre-minted in the page on servers that demand nonces, with the nonce of the moment and an `iat` ahead. */
  let nonceAhead: { token: string; proof: string };
  let dbscScriptCookie: string;
  /**
   * The DBSC page's whole cookie jar, beyond any script's reach: what malware
   * on the machine would copy, to show what the binding adds over HttpOnly.
   */
  let dbscJar: Cookie[];
  let dbscCopiedAt: number;

  /** The replay row's "now", kept until "later" completes it. */
  const replayed: string[] = [];

  beforeAll(async () => {
    sessionPage = await openShop();
    await logIn(sessionPage.page, 'session-login', /^Logged in with a session /);
    bearerPage = await openShop();
    await logIn(bearerPage.page, 'token-login', /^Logged in with tokens: /);
    dpopPage = await openShop();
    await logIn(dpopPage.page, 'bound-login', /^Logged in with a bound token/);
    await dpopPage.page.locator('#state[data-bound="true"]').waitFor();
    dbscPage = await openShop(dbscSystem.shopOrigin, dbscBrowser);
    await logIn(dbscPage.page, 'session-login', /^Logged in with a session /);
    dbscRow = await waitForBinding(dbscPage.page);

    // The script arrives; then the user goes on using the page: a refresh, a run of the matrix.
    for (const { page } of [sessionPage, bearerPage, dpopPage, dbscPage]) {
      await page.evaluate(installWiretap);
    }
    await act(bearerPage.page, 'token-refresh', /^Refreshed: /);
    await act(dpopPage.page, 'bound-refresh', /^Refreshed with a proof /);
    for (const { page } of [sessionPage, bearerPage, dpopPage, dbscPage]) await runMatrix(page);
  }, 120_000);

  afterAll(async () => {
    for (const shopPage of [sessionPage, bearerPage, dpopPage, dbscPage, noncePage]) {
      await shopPage?.context.close();
    }
  });

  it('(1) reads the Bearer tokens and the bound token, but neither the HttpOnly session cookies (DBSC included) nor the DPoP private key', async () => {
    stolenCookie = await sessionPage.page.evaluate(readDocumentCookie);
    const sessionLoot = await sessionPage.page.evaluate(readLoot);
    dbscScriptCookie = await dbscPage.page.evaluate(readDocumentCookie);
    const dbscLoot = await dbscPage.page.evaluate(readLoot);

    bearerLoot = await bearerPage.page.evaluate(readLoot);
    const bearerHeader = bearerLoot.sent.find((s) => s.authorization?.startsWith('Bearer '));
    bearerToken = bearerHeader?.authorization?.slice('Bearer '.length) ?? '';
    bearerRefresh = bearerLoot.pairs.at(-1)?.refresh_token ?? '';

    dpopLoot = await dpopPage.page.evaluate(readLoot);
    const dpopHeader = dpopLoot.sent.find((s) => s.authorization?.startsWith('DPoP '));
    dpopToken = dpopHeader?.authorization?.slice('DPoP '.length) ?? '';
    dpopRefresh = dpopLoot.pairs.at(-1)?.refresh_token ?? '';
    keyAttack = await dpopPage.page.evaluate(attackKey, {
      token: dpopToken,
      specs: [
        { htm: 'GET', htu: meUrl(), iatOffset: 0, withToken: true },
        { htm: 'GET', htu: meUrl(), iatOffset: 0, withToken: true },
        { htm: 'GET', htu: meUrl(), iatOffset: FUTURE_IAT_S, withToken: true },
        { htm: 'POST', htu: refreshUrl(), iatOffset: 0, withToken: false },
      ],
    });
    preMinted = keyAttack.proofs.slice(0, 3);
    preMintedRefresh = keyAttack.proofs[3] ?? '';

    // Session: the cookie is HttpOnly, and no header carries a credential.
    expect(stolenCookie).not.toContain('sid=');
    expect(sessionLoot.sent.every((s) => s.authorization === null)).toBe(true);
    // DBSC: the session Chromium bound, and neither of its cookies, both HttpOnly.
    expect(dbscRow).toMatchObject({ deviceBound: true });
    expect(dbscScriptCookie).not.toContain('sid');
    expect(dbscLoot.sent.length).toBeGreaterThan(0);
    expect(dbscLoot.sent.every((s) => s.authorization === null)).toBe(true);
    // Bearer: the header the app sent, and the pair its refresh received.
    expect(bearerToken).toBe(bearerLoot.pairs.at(-1)?.access_token);
    expect(bearerRefresh).not.toBe('');
    // DPoP: the token and the refresh token, yes; the private key, no.
    expect(dpopToken).toBe(dpopLoot.pairs.at(-1)?.access_token);
    expect(dpopLoot.pairs.at(-1)?.token_type).toBe('DPoP');
    expect(decodeJwt(dpopToken).payload['cnf']).toEqual({ jkt: expect.any(String) });
    expect(dpopRefresh).not.toBe('');
    expect(keyAttack.privateExtractable).toBe(false);
    expect(keyAttack.exportJwk).toMatch(/^InvalidAccessError/);
    expect(keyAttack.exportPkcs8).toMatch(/^InvalidAccessError/);
    expect(keyAttack.proofs).toHaveLength(4);

    recordBrowserClaim(
      CLAIMS.read,
      `Chromium ${browser.version()}, a script in the SHOP page (page.evaluate): ` +
        `session: document.cookie shows "${stolenCookie}", no session cookie (HttpOnly), and no request carried an Authorization header; ` +
        `Bearer: the access token from the next Authorization header the app sent (a wrapped window.fetch) and the refresh token from its refresh's answer; ` +
        `DPoP: the access and refresh tokens the same way, the private key not: exportKey gives ${keyAttack.exportJwk.split(':')[0]} (jwk and pkcs8), though the script can have it sign; ` +
        `DBSC session (Chromium bound it over https): document.cookie shows "${dbscScriptCookie}", neither the session cookie nor the bound cookie (both HttpOnly), and no request carried an Authorization header`,
    );
  });

  it('(2) replays from Node now: the Bearer token works, the session cookie was never in hand, the bound token only with a proof pre-minted in the page, once', async () => {
    const sessionNow = await getMe({ cookie: stolenCookie || undefined });
    const bearerNow = await getMe({ authorization: `Bearer ${bearerToken}` });
    const bareDpop = await getMe({ authorization: `DPoP ${dpopToken}` });
    const downgraded = await getMe({ authorization: `Bearer ${dpopToken}` });
    const ownKey = await generateKeyPair('ES256');
    const ownProof = await getMe({
      authorization: `DPoP ${dpopToken}`,
      dpop: await generateProof(ownKey, meUrl(), 'GET', undefined, dpopToken),
    });
    // The page's own proof for /api/me, caught on its way out: already spent.
    const caught = dpopLoot.sent.find(
      (s) => s.dpop !== null && proofPayload(s.dpop)['htu'] === meUrl() && s.authorization,
    );
    const caughtReplay = await getMe({
      authorization: `DPoP ${dpopToken}`,
      dpop: caught?.dpop ?? undefined,
    });
    const preMintedNow = await getMe({ authorization: `DPoP ${dpopToken}`, dpop: preMinted[0] });
    const preMintedAgain = await getMe({ authorization: `DPoP ${dpopToken}`, dpop: preMinted[0] });
    const dbscScriptNow = await meFromNode(dbscSystem.shop, dbscScriptCookie);
    dbscJar = await copyJarAfterRenewal(dbscPage.page, dbscSystem.shopOrigin, 10_000);
    dbscCopiedAt = Date.now();
    const dbscJarNow = await meFromNode(dbscSystem.shop, cookieHeader(dbscJar));

    expect(sessionNow.status).toBe(401);
    expect(bearerNow.status).toBe(200);
    expect(bearerNow.json?.method).toBe('bearer');
    expect(bareDpop.status).toBe(401);
    expect(bareDpop.json?.code).toBe('invalid_dpop_proof');
    expect(downgraded.status).toBe(401);
    expect(downgraded.json?.code).toBe('invalid_token');
    expect(ownProof.status).toBe(401);
    expect(ownProof.json?.code).toBe('invalid_dpop_proof');
    expect(caught).toBeDefined();
    expect(caughtReplay.status).toBe(401);
    expect(preMintedNow.status).toBe(200);
    expect(preMintedNow.json?.method).toBe('dpop');
    expect(preMintedAgain.status).toBe(401);
    expect(dbscScriptNow.status).toBe(401);
    expect(dbscJarNow).toEqual({ status: 200, code: null });

    replayed.push(
      `now: session ${outcome(sessionNow)} with what document.cookie gave; Bearer ${outcome(bearerNow)}`,
      `DPoP token alone ${outcome(bareDpop)}, sent as Bearer ${outcome(downgraded)}, with the attacker's own key ${outcome(ownProof)}, with the page's caught proof ${outcome(caughtReplay)}, with a proof pre-minted in the page ${outcome(preMintedNow)} then ${outcome(preMintedAgain)} on its second use`,
      `DBSC session ${describeOutcome(dbscScriptNow)} with what document.cookie gave, and with its whole cookie jar (beyond a script's reach; as malware on the machine would copy it, just after Chromium renewed the ${BOUND_COOKIE_TTL} s bound cookie) ${describeOutcome(dbscJarNow)}`,
    );
  });

  it('(3) rides the login from inside the open page in every mode, CSRF token and proofs included', async () => {
    const json = { 'Content-Type': 'application/json' };
    const me = (headers: Record<string, string>): InPageCall => ({
      method: 'GET',
      path: '/api/me',
      headers,
    });
    const item = (sku: string, headers: Record<string, string>): InPageCall => ({
      method: 'PUT',
      path: `/api/cart/items/${sku}`,
      headers: { ...headers, ...json },
      body: JSON.stringify({ quantity: 1 }),
    });
    // Session: the script reads the CSRF token as the page does, and the browser adds the cookie.
    const [sessionInfo] = await sessionPage.page.evaluate(fetchInPage, [
      { method: 'GET', path: '/api/auth/session', headers: {} },
    ]);
    const csrfToken = (sessionInfo?.body as { csrfToken?: string } | null)?.csrfToken ?? '';
    const session = await sessionPage.page.evaluate(fetchInPage, [
      me({}),
      item('xss-session', { 'X-CSRF-Token': csrfToken }),
    ]);
    const bearerHeaders = { Authorization: `Bearer ${bearerToken}` };
    const bearer = await bearerPage.page.evaluate(fetchInPage, [
      me(bearerHeaders),
      item('xss-bearer', bearerHeaders),
    ]);
    const signed = await dpopPage.page.evaluate(attackKey, {
      token: dpopToken,
      specs: [
        { htm: 'GET', htu: meUrl(), iatOffset: 0, withToken: true },
        {
          htm: 'PUT',
          htu: `${shopOrigin}/api/cart/items/xss-dpop`,
          iatOffset: 0,
          withToken: true,
        },
      ],
    });
    const dpopHeaders = (proof: string | undefined) => ({
      Authorization: `DPoP ${dpopToken}`,
      DPoP: proof ?? '',
    });
    const dpop = await dpopPage.page.evaluate(fetchInPage, [
      me(dpopHeaders(signed.proofs[0])),
      item('xss-dpop', dpopHeaders(signed.proofs[1])),
    ]);
    const [dbscInfo] = await dbscPage.page.evaluate(fetchInPage, [
      { method: 'GET', path: '/api/auth/session', headers: {} },
    ]);
    const dbscCsrfToken = (dbscInfo?.body as { csrfToken?: string } | null)?.csrfToken ?? '';
    const dbsc = await dbscPage.page.evaluate(fetchInPage, [
      me({}),
      item('xss-dbsc', { 'X-CSRF-Token': dbscCsrfToken }),
    ]);

    expect(csrfToken).not.toBe('');
    expect(session.map((r) => r.status)).toEqual([200, 200]);
    expect(session[0]?.body).toMatchObject({ method: 'session' });
    expect(bearer.map((r) => r.status)).toEqual([200, 200]);
    expect(bearer[0]?.body).toMatchObject({ method: 'bearer' });
    expect(dpop.map((r) => r.status)).toEqual([200, 200]);
    expect(dpop[0]?.body).toMatchObject({ method: 'dpop' });
    expect(dbscCsrfToken).not.toBe('');
    expect(dbsc.map((r) => r.status)).toEqual([200, 200]);
    expect(dbsc[0]?.body).toMatchObject({ method: 'session', deviceBound: true });
    for (const shopPage of [sessionPage, bearerPage, dpopPage, dbscPage]) {
      expect(shopPage.problems).toEqual([]);
    }

    recordBrowserClaim(
      CLAIMS.ride,
      `GET /api/me and PUT /api/cart/items/… from the script in the page: session ${session.map((r) => r.status).join(', ')} (it read the CSRF token from /api/auth/session), Bearer ${bearer.map((r) => r.status).join(', ')}, DPoP ${dpop.map((r) => r.status).join(', ')} (the page's key signed fresh proofs), DBSC session ${dbsc.map((r) => r.status).join(', ')} (the browser added both cookies, renewing the bound one with its key)`,
    );
  });

  describe('on servers that demand DPoP nonces (DPOP_NONCE_REQUIRED=true)', () => {
    beforeAll(async () => {
      nonceSut = await startSystem({ env: { auth: NONCES, gateway: NONCES, cart: NONCES } });
    }, 120_000);

    it('the page logs in, refreshes and runs its matrix, each origin retried once with its nonce; the script pre-mints a proof with that nonce', async () => {
      const origin = nonceSut?.shop.origin ?? '';
      noncePage = await openShop(origin);
      const { page } = noncePage;
      await page.evaluate(installWiretap);
      await logIn(page, 'bound-login', /^Logged in with a bound token/);
      await act(page, 'bound-refresh', /^Refreshed with a proof /);
      await runMatrix(page);
      const cells = await page.$$eval('#matrix td[data-credential="dpop"]', (elements) =>
        elements.map((element) => {
          const { destination, status } = (
            element as unknown as { dataset: Record<string, string | undefined> }
          ).dataset;
          return `${destination ?? ''} ${status ?? ''}`;
        }),
      );
      const loot = await page.evaluate(readLoot);
      const nonceOf = (s: Loot['sent'][number]) => (s.dpop ? proofPayload(s.dpop)['nonce'] : null);
      const logins = loot.sent.filter((s) => s.url.endsWith('/api/auth/token'));
      const token = loot.pairs.at(-1)?.access_token ?? '';
      const nonce = loot.sent
        .map(nonceOf)
        .filter((n) => typeof n === 'string')
        .at(-1);
      const minted = await page.evaluate(attackKey, {
        token,
        specs: [
          {
            htm: 'GET',
            htu: `${origin}/api/me`,
            iatOffset: FUTURE_IAT_S,
            withToken: true,
            nonce: String(nonce),
          },
        ],
      });
      nonceAhead = { token, proof: minted.proofs[0] ?? '' };

      expect(logins.map((s) => typeof nonceOf(s))).toEqual(['undefined', 'string']);
      expect(typeof nonce).toBe('string');
      expect(cells).toEqual(
        expect.arrayContaining(['gateway-me 200', 'gateway-cart 200', 'cart-direct 200']),
      );
      // The token endpoint asks with a 400 (RFC 6749 §5.2); anything else is a page error.
      expect(noncePage.problems.filter((p) => !p.includes(NONCE_DEMAND_LINE))).toEqual([]);
    });
  });

  describe('two minutes later, every tab closed', () => {
    beforeAll(async () => {
      for (const shopPage of [sessionPage, bearerPage, dpopPage, dbscPage, noncePage]) {
        await shopPage?.context.close();
      }
      await delay(WAIT_MS);
    }, WAIT_MS + 30_000);

    it('(2) replays again: the Bearer token still works; pre-minted proofs are stale, except one dated ahead', async () => {
      const sessionLater = await getMe({ cookie: stolenCookie || undefined });
      const bearerLater = await getMe({ authorization: `Bearer ${bearerToken}` });
      const staleProof = await getMe({ authorization: `DPoP ${dpopToken}`, dpop: preMinted[1] });
      // RFC 9449 §11.1: without a server nonce, a proof dated ahead waits out the window.
      const aheadProof = await getMe({ authorization: `DPoP ${dpopToken}`, dpop: preMinted[2] });
      // With nonces, the nonce the script could sign in has expired by then.
      const aheadWithNonce = await http(nonceSut?.shop ?? sut.shop).get<MeBody>('/api/me', {
        headers: { authorization: `DPoP ${nonceAhead.token}`, dpop: nonceAhead.proof },
      });
      const dbscScriptLater = await meFromNode(dbscSystem.shop, dbscScriptCookie);
      const dbscJarLater = await meFromNode(dbscSystem.shop, cookieHeader(dbscJar));
      const sinceCopy = Math.round((Date.now() - dbscCopiedAt) / 1000);

      expect(sessionLater.status).toBe(401);
      expect(bearerLater.status).toBe(200);
      expect(staleProof.status).toBe(401);
      expect(staleProof.json?.code).toBe('invalid_dpop_proof');
      expect(aheadProof.status).toBe(200);
      expect(aheadWithNonce.status).toBe(401);
      expect(aheadWithNonce.json?.code).toBe('use_dpop_nonce');
      expect(dbscScriptLater.status).toBe(401);
      expect(sinceCopy).toBeGreaterThan(BOUND_COOKIE_TTL);
      expect(dbscJarLater).toEqual({ status: 401, code: 'bound_cookie_required' });

      replayed.push(
        `after ${WAIT_MS / 1000} s: session ${outcome(sessionLater)}; Bearer ${outcome(bearerLater)}; DPoP with a proof pre-minted then ${outcome(staleProof)} (iat past the 60 s window), but with one pre-minted with iat ${FUTURE_IAT_S} s ahead ${outcome(aheadProof)} (no server nonce: RFC 9449 §11.1); on servers that demand nonces the same trick ${outcome(aheadWithNonce)}; DBSC session ${describeOutcome(dbscScriptLater)} with what document.cookie gave, and with the copied jar ${describeOutcome(dbscJarLater)} (${sinceCopy} s after the copy: its bound cookie had expired and only the key renews it)`,
      );
      recordBrowserClaim(
        CLAIMS.replay,
        `from Node with what the script sent out: ${replayed.join('; ')}`,
      );
    });

    it('(4) keeps access after the tab is closed with the Bearer refresh token only', async () => {
      const sessionAfter = await getMe({ cookie: stolenCookie || undefined });
      const bearerRefreshed = await refresh(bearerRefresh);
      const bearerFresh = await getMe({
        authorization: `Bearer ${bearerRefreshed.json?.access_token ?? ''}`,
      });
      const ownKey = await generateKeyPair('ES256');
      const dpopNoProof = await refresh(dpopRefresh);
      const dpopOwnKey = await refresh(dpopRefresh, {
        dpop: await generateProof(ownKey, refreshUrl(), 'POST'),
      });
      const dpopStaleProof = await refresh(dpopRefresh, { dpop: preMintedRefresh });
      const dpopOwnKeyMe = await getMe({
        authorization: `DPoP ${dpopToken}`,
        dpop: await generateProof(ownKey, meUrl(), 'GET', undefined, dpopToken),
      });
      const dbscSessionCookie = `${SESSION_COOKIE}=${dbscJar.find((c) => c.name === SESSION_COOKIE)?.value ?? ''}`;
      const dbscSessionOnly = await meFromNode(dbscSystem.shop, dbscSessionCookie);
      const dbscForged: ForgedRefresh = await refreshWithAnotherKey(
        dbscSystem.shop,
        dbscSessionCookie,
        dbscRow?.id ?? '',
      );
      const dbscAfterForged = await meFromNode(dbscSystem.shop, cookieHeader(dbscJar));

      expect(sessionAfter.status).toBe(401);
      expect(bearerRefreshed.status).toBe(200);
      expect(bearerFresh.status).toBe(200);
      expect(bearerFresh.json?.method).toBe('bearer');
      expect(dpopNoProof.status).toBe(400);
      expect(dpopNoProof.json?.code).toBe('invalid_dpop_proof');
      expect(dpopOwnKey.status).toBe(401);
      expect(dpopOwnKey.json?.code).toBe('invalid_refresh_token');
      expect(dpopStaleProof.status).toBe(400);
      expect(dpopStaleProof.json?.code).toBe('invalid_dpop_proof');
      expect(dpopOwnKeyMe.status).toBe(401);
      expect(dbscSessionOnly).toEqual({ status: 401, code: 'bound_cookie_required' });
      expect(dbscForged.challenged).toEqual({ status: 403, code: 'session_proof_required' });
      expect(dbscForged.refused).toEqual({ status: 401, code: 'invalid_session_proof' });
      expect(dbscAfterForged.status).toBe(401);

      recordBrowserClaim(
        CLAIMS.afterClose,
        `tab closed, from Node: session ${outcome(sessionAfter)} (nothing usable was sent out); Bearer refresh ${outcome(bearerRefreshed)}, then /api/me ${outcome(bearerFresh)} with the new access token: access for as long as the family lives; DPoP refresh without a proof ${outcome(dpopNoProof)}, with the attacker's own key ${outcome(dpopOwnKey)}, with a refresh proof pre-minted 2 minutes earlier ${outcome(dpopStaleProof)}; the access token with the attacker's key ${outcome(dpopOwnKeyMe)}; DBSC session: the copied session cookie ${describeOutcome(dbscSessionOnly)} without a live bound cookie, and the refresh that would renew it ${describeOutcome(dbscForged.challenged)} with a challenge, then, signed by the attacker's own key, ${describeOutcome(dbscForged.refused)}, which ends the session (the jar then ${describeOutcome(dbscAfterForged)})`,
      );
    });

    it('shows the page in the bound-token mode in a screenshot (tmp/lab/xss-dpop.png), then logs out of it', async () => {
      const shopPage = await openShop();
      await logIn(shopPage.page, 'bound-login', /^Logged in with a bound token/);
      await runMatrix(shopPage.page);
      const png = await shopPage.page.screenshot({ path: labFile('xss-dpop.png'), fullPage: true });
      await act(shopPage.page, 'bound-logout', /^Logged out: the bound refresh token is revoked/);
      await shopPage.page.locator('#state[data-bound="false"]').waitFor();
      await shopPage.context.close();

      expect(isPng(png)).toBe(true);
      expect(shopPage.problems).toEqual([]);
    });
  });
});
