import { setTimeout as delay } from 'node:timers/promises';
import { http, pollUntil, registerUser, startSystem } from '@svt/shared/testing';
import type { HttpClient, RegisteredUser, SystemUnderTest } from '@svt/shared/testing';
import type { Browser, BrowserContext, Page, Request, Response } from 'playwright-core';
import {
  forgetBrowserClaims,
  launchChromium,
  openDemoTab,
  recordBrowserClaim,
} from './browser-support';

/**
 * Refreshes across tabs in Chromium: several tabs of the demo page share one
 * token login whose access tokens live a few seconds, and make authenticated
 * calls while the tokens are refreshed again and again. The page refreshes
 * under a Web Lock and shares each new pair over a BroadcastChannel; the
 * server's side is read from AUTH's audit log, where a second spend of a
 * refresh token shows as `refresh_token.retried` (within the grace window for
 * a lost response) or `refresh_token.reused` (theft: the family is revoked).
 * The control run turns the lock off (`?refresh-lock=off`, as a browser
 * without Web Locks) to show what the lock prevents.
 */

/** Seconds an access token lives here: the page refreshes at three quarters of it. */
const ACCESS_TOKEN_TTL = 3;
const CYCLES = 10;
const CONTROL_CYCLES = 3;
/** Ample for the cycles: one every 2.25 s, plus the logins. */
const RUN_TIMEOUT_MS = CYCLES * ACCESS_TOKEN_TTL * 1000 + 30_000;

const CLAIMS = {
  two: 'Two tabs of one token login refresh once per expiry, with no grace window',
  five: 'Five tabs of one token login refresh once per expiry, with no grace window',
  control: 'Without the Web Lock, tabs spend one refresh token twice; the grace window hides it',
} as const;

/** Audit events that end a token family: a reuse revokes it, the others are logouts. */
const REVOKING_EVENTS = ['refresh_token.reused', 'logout', 'logout_all', 'session.revoked'];

let browser: Browser;
let sut: SystemUnderTest;
let shop: HttpClient;

beforeAll(async () => {
  forgetBrowserClaims(Object.values(CLAIMS));
  browser = await launchChromium();
  sut = await startSystem({ env: { auth: { ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL) } } });
  shop = http(sut.shop);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await sut?.stop();
});

/** One refresh the tabs made, as Chromium saw it go and come back. */
interface Refresh {
  readonly presented: string;
  status: number | null;
  issued: string | null;
}

/** What one run measured. */
interface Figures {
  readonly tabs: number;
  /** Expiries the login went through: distinct refresh tokens presented. */
  readonly cycles: number;
  /** Refresh requests the tabs sent. */
  readonly refreshes: number;
  readonly reuseDetections: number;
  readonly revocations: number;
  /** Times AUTH answered a second spend from its grace window (`refresh_token.retried`). */
  readonly graceUses: number;
  /** Authenticated calls the tabs made to the gateway, and how many it refused. */
  readonly calls: number;
  readonly refusedCalls: number;
  /** Whether each refresh presented the refresh token that the one before issued. */
  readonly chained: boolean;
  readonly problems: readonly string[];
}

function describeFigures(figures: Figures): string {
  return (
    `Chromium ${browser.version().split('.')[0]}, access tokens of ${ACCESS_TOKEN_TTL} s: ` +
    `tabs ${figures.tabs}, cycles ${figures.cycles}, refreshes ${figures.refreshes}, ` +
    `reuse detections ${figures.reuseDetections}, revocations ${figures.revocations}, ` +
    `grace uses ${figures.graceUses}; ${figures.calls} authenticated calls, ` +
    `${figures.refusedCalls} refused`
  );
}

function isPost(request: Request, path: string): boolean {
  return request.method() === 'POST' && new URL(request.url()).pathname === path;
}

/** Watches every tab of `context` for token logins, refreshes and calls to `/api/me`. */
function watchTokens(context: BrowserContext): {
  readonly loginTokens: string[];
  readonly refreshes: Refresh[];
  readonly calls: number[];
  settled(): Promise<void>;
} {
  const loginTokens: string[] = [];
  const refreshes: Refresh[] = [];
  const calls: number[] = [];
  const reading: Promise<void>[] = [];
  const byRequest = new Map<Request, Refresh>();
  context.on('request', (request) => {
    if (!isPost(request, '/api/auth/token/refresh')) return;
    const body = request.postDataJSON() as { refresh_token: string };
    const refresh: Refresh = { presented: body.refresh_token, status: null, issued: null };
    refreshes.push(refresh);
    byRequest.set(request, refresh);
  });
  context.on('response', (response: Response) => {
    const request = response.request();
    if (request.method() === 'GET' && new URL(request.url()).pathname === '/api/me') {
      calls.push(response.status());
    }
    const refresh = byRequest.get(request);
    if (refresh) refresh.status = response.status();
    const isLogin = isPost(request, '/api/auth/token');
    if (!refresh && !isLogin) return;
    reading.push(
      response.json().then((body: { refresh_token?: string }) => {
        if (isLogin && body.refresh_token) loginTokens.push(body.refresh_token);
        if (refresh) refresh.issued = body.refresh_token ?? null;
      }),
    );
  });
  return {
    loginTokens,
    refreshes,
    calls,
    settled: async () => {
      await Promise.all(reading);
    },
  };
}

/** A tab of the demo page with `query`, ready, its console watched. */
function openTab(context: BrowserContext, query: string, problems: string[]): Promise<Page> {
  return openDemoTab(context, `${sut.shop.origin}/${query}`, problems);
}

/** The access token's claims as a tab shows them: the same text in two tabs means the same token. */
function shownClaims(page: Page): Promise<string> {
  return page.locator('#claims').innerText();
}

/**
 * Opens `tabs` tabs (the last one after the login, so that it has to ask the
 * others for the pair), logs in with tokens in the first, and has every tab
 * call the gateway with its access token until `cycles` refresh tokens have
 * been spent. Closes the tabs and reads AUTH's audit log for the user.
 */
async function runTabs(tabs: number, cycles: number, query = ''): Promise<Figures> {
  const user: RegisteredUser = await registerUser(shop, undefined, '/api/auth');
  const context = await browser.newContext();
  const seen = watchTokens(context);
  const problems: string[] = [];
  const pages: Page[] = [];
  try {
    const first = await openTab(context, query, problems);
    pages.push(first);
    while (pages.length < tabs - 1) pages.push(await openTab(context, query, problems));
    await first.locator('#credentials [name="email"]').fill(user.email);
    await first.locator('#credentials [name="password"]').fill(user.password);
    await first.locator('[data-action="token-login"]').click();
    await first
      .locator('#status')
      .filter({ hasText: /^Logged in with tokens/ })
      .waitFor();
    pages.push(await openTab(context, query, problems));
    for (const page of pages) await page.locator('#state[data-tokens="true"]').waitFor();

    const spent = (): number => new Set(seen.refreshes.map((r) => r.presented)).size;
    const deadline = Date.now() + RUN_TIMEOUT_MS - 15_000;
    while (spent() < cycles && Date.now() < deadline) {
      // Every tab calls with the token it holds, while the refreshes go on.
      await Promise.all(pages.map((page) => page.locator('[data-action="token-me"]').click()));
      await delay(200);
    }
    // The tabs end holding one and the same pair, the newest one.
    const claims = await pollUntil(
      () => Promise.all(pages.map(shownClaims)),
      (shown) => shown.every((text) => text !== '' && text === shown[0]),
      { timeoutMs: 2_000, intervalMs: 100 },
    );
    if (!claims.every((text) => text !== '' && text === claims[0])) {
      problems.push('the tabs ended holding different access tokens');
    }
    // A refresh under way when the tabs close would have no answer to count.
    await pollUntil(
      () => Promise.resolve(seen.refreshes.every((r) => r.status !== null)),
      (answered) => answered,
      { timeoutMs: 5_000, intervalMs: 50 },
    );
  } finally {
    await context.close();
  }
  await seen.settled();

  const events = auditEvents(sut.auth.output(), user.id);
  const count = (names: readonly string[]): number =>
    events.filter((event) => names.includes(event)).length;
  const presented = seen.refreshes.map((r) => r.presented);
  const chain = [seen.loginTokens[0], ...seen.refreshes.map((r) => r.issued)];
  return {
    tabs,
    cycles: new Set(presented).size,
    refreshes: seen.refreshes.length,
    reuseDetections: count(['refresh_token.reused']),
    revocations: count(REVOKING_EVENTS) + seen.refreshes.filter((r) => r.status !== 200).length,
    graceUses: count(['refresh_token.retried']),
    calls: seen.calls.length,
    refusedCalls: seen.calls.filter((status) => status !== 200).length,
    chained: presented.every((token, i) => token === chain[i]),
    problems,
  };
}

/** The audit events AUTH logged about `userId`, by name, in order. */
function auditEvents(output: string, userId: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"logger":"audit"'))
    .map((line) => JSON.parse(line) as { event?: string; userId?: string })
    .filter((entry) => entry.userId === userId)
    .map((entry) => entry.event ?? '');
}

describe('refreshing one token login in several tabs of Chromium', () => {
  it.each([
    { tabs: 2, claim: CLAIMS.two },
    { tabs: 5, claim: CLAIMS.five },
  ])(
    'with $tabs tabs, spends each refresh token once: one refresh per expiry, no reuse, no revocation, no grace window',
    async ({ tabs, claim }) => {
      const figures = await runTabs(tabs, CYCLES);
      process.stdout.write(`cross-tab refresh, Web Lock on: ${describeFigures(figures)}\n`);

      expect(figures.problems).toEqual([]);
      expect(figures.cycles).toBeGreaterThanOrEqual(CYCLES);
      expect(figures.refreshes).toBe(figures.cycles);
      expect(figures.chained).toBe(true);
      expect(figures.reuseDetections).toBe(0);
      expect(figures.revocations).toBe(0);
      expect(figures.graceUses).toBe(0);
      expect(figures.calls).toBeGreaterThan(0);
      expect(figures.refusedCalls).toBe(0);
      recordBrowserClaim(claim, describeFigures(figures));
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'without the Web Lock (the control), five tabs spend the same refresh token more than once',
    async () => {
      const figures = await runTabs(5, CONTROL_CYCLES, '?refresh-lock=off');
      process.stdout.write(`cross-tab refresh, Web Lock off: ${describeFigures(figures)}\n`);

      expect(figures.problems).toEqual([]);
      expect(figures.refreshes).toBeGreaterThan(figures.cycles);
      expect(figures.graceUses + figures.reuseDetections).toBeGreaterThan(0);
      recordBrowserClaim(CLAIMS.control, describeFigures(figures));
    },
    RUN_TIMEOUT_MS,
  );
});
