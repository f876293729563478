import { setTimeout as delay } from 'node:timers/promises';
import type { Browser, BrowserContext, Cookie, Page } from 'playwright-core';
import {
  forgetBrowserClaims,
  isPng,
  labFile,
  launchChromiumWithDbsc,
  openDemoTab,
  recordBrowserClaim,
} from './browser-support';
import {
  BOUND_COOKIE,
  DBSC_REFRESH_PATH,
  SESSION_COOKIE,
  cookieHeader,
  copyJarAfterRenewal,
  dbscRefreshes,
  describeOutcome,
  meFromNode,
  meFromPage,
  refreshWithAnotherKey,
  sessionLogIn,
  waitForBinding,
} from './dbsc-session';
import type { BoundSessionRow, ForgedRefresh, Outcome } from './dbsc-session';
import { startHttpsSystem } from './https-system';
import type { HttpsSystem } from './https-system';

/**
 * Device Bound Session Credentials (W3C DBSC draft) in Chromium against the
 * real system over https: the session login's answer asks Chromium to bind
 * the session to a key it keeps; AUTH then accepts the session only with a
 * short-lived bound cookie, which Chromium renews by signing AUTH's
 * challenges. Whoever copies the cookie jar gets everything but the key.
 */

/** Seconds a bound cookie lives here (AUTH's DBSC_BOUND_COOKIE_TTL; 60 by default). */
const BOUND_COOKIE_TTL = 4;
const TTL_MS = BOUND_COOKIE_TTL * 1000;
/** Bound-cookie lifetimes the page keeps calling through. */
const LIFETIMES = 4;
const CALL_INTERVAL_MS = 1000;
/**
 * How late after its bound cookie's end a copy may still be served: the
 * polling interval, and a loaded two-core machine between the copy and the
 * first call.
 */
const SLACK_MS = 3000;
/** How long a refused copy is watched to stay refused. */
const REFUSED_FOR_MS = 2 * TTL_MS;
const POLL_MS = 500;

const CLAIMS = {
  keeps: 'DBSC: a device-bound session keeps working in the browser across bound-cookie lifetimes',
  copied:
    "DBSC: a copied cookie jar works for at most its bound cookie's lifetime, then never again",
  otherKey: 'DBSC: a refresh signed by another key is refused and ends the session',
} as const;

let system: HttpsSystem;
let browser: Browser;
const problems: string[] = [];

beforeAll(async () => {
  forgetBrowserClaims(Object.values(CLAIMS));
  system = await startHttpsSystem({
    auth: { DBSC_BOUND_COOKIE_TTL: String(BOUND_COOKIE_TTL) },
  });
  browser = await launchChromiumWithDbsc(system.front.spkiHash);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

function shopCookies(context: BrowserContext): Promise<Cookie[]> {
  return context.cookies(system.shopOrigin);
}

function valueOf(cookies: readonly Cookie[], name: string): string | undefined {
  return cookies.find((cookie) => cookie.name === name)?.value;
}

/** Counts outcomes, "200 ×12, 401 bound_cookie_required ×3", for the rows. */
function tally(outcomes: readonly Outcome[]): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) {
    const key = describeOutcome(outcome);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => `${key} ×${count}`).join(', ');
}

describe('a session login on the demo page, bound by Chromium (DBSC) over https', () => {
  let context: BrowserContext;
  let page: Page;
  let row: BoundSessionRow | null;

  beforeAll(async () => {
    context = await browser.newContext();
    page = await openDemoTab(context, `${system.shopOrigin}/`, problems);
    await sessionLogIn(page);
    row = await waitForBinding(page);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
  });

  it(`keeps answering /api/me with 200 for ${LIFETIMES} bound-cookie lifetimes, Chromium refreshing the bound cookie with its key`, async () => {
    const before = await dbscRefreshes(system.sut.auth);
    const outcomes: Outcome[] = [];
    const boundValues = new Set<string>();
    const started = Date.now();
    while (Date.now() - started < LIFETIMES * TTL_MS) {
      outcomes.push(await meFromPage(page));
      const bound = valueOf(await shopCookies(context), BOUND_COOKIE);
      if (bound) boundValues.add(bound);
      await delay(CALL_INTERVAL_MS);
    }
    const after = await dbscRefreshes(system.sut.auth);
    const refreshed = (after['refreshed'] ?? 0) - (before['refreshed'] ?? 0);
    const challenged = (after['challenged'] ?? 0) - (before['challenged'] ?? 0);
    const me = await page.evaluate(async () => (await fetch('/api/me')).json());
    // The screenshot then shows which destinations the bound session reaches.
    await page.locator('[data-action="run-matrix"]').click();
    await page.locator('#matrix[data-complete="true"]').waitFor();
    const png = await page.screenshot({ path: labFile('dbsc-session.png'), fullPage: true });

    expect(row).toMatchObject({ id: expect.any(String), deviceBound: true });
    expect(outcomes.length).toBeGreaterThanOrEqual(LIFETIMES * 2);
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
    expect(me).toMatchObject({ method: 'session', deviceBound: true });
    expect(refreshed).toBeGreaterThanOrEqual(LIFETIMES - 1);
    expect(boundValues.size).toBeGreaterThanOrEqual(LIFETIMES - 1);
    expect(isPng(png)).toBe(true);

    recordBrowserClaim(
      CLAIMS.keeps,
      `Chromium ${browser.version()} over https (certificate trusted by SPKI hash, software keys), ` +
        `cookies ${SESSION_COOKIE} and ${BOUND_COOKIE}, bound cookie of ${BOUND_COOKIE_TTL} s: after the demo page's session login Chromium registered ` +
        `the session (GET /api/auth/sessions: deviceBound true); GET /api/me from the page every ` +
        `${CALL_INTERVAL_MS / 1000} s for ${LIFETIMES} lifetimes: ${tally(outcomes)}; AUTH counted ` +
        `${refreshed} refreshes signed by the registered key (${challenged} challenges) and the jar ` +
        `held ${boundValues.size} different bound cookies`,
    );
  }, 60_000);

  describe('its cookie jar, copied elsewhere', () => {
    let copiedAt: number;
    let copy: Cookie[];
    let otherContext: BrowserContext;
    let otherPage: Page;

    const node: { at: number; outcome: Outcome }[] = [];
    const otherProfile: { at: number; outcome: Outcome }[] = [];
    const original: Outcome[] = [];

    beforeAll(async () => {
      copy = await copyJarAfterRenewal(page, system.shopOrigin, 2 * TTL_MS);
      copiedAt = Date.now();
      otherContext = await browser.newContext();
      await otherContext.addCookies(copy);
      // Any page of SHOP's origin will do for its fetch(); this one calls nothing by itself.
      otherPage = await otherContext.newPage();
      otherPage.setDefaultTimeout(10_000);
      await otherPage.goto(`${system.shopOrigin}/demo/config.json`);
    }, 30_000);

    afterAll(async () => {
      await otherContext?.close();
    });

    it(
      "works from Node and from another browser profile for at most the bound cookie's lifetime, then never again, while the original page goes on",
      async () => {
        const header = cookieHeader(copy);
        const refusedBoth = () =>
          [node, otherProfile].every((calls) => calls.some((c) => c.outcome.status !== 200));
        const refusedSince = () =>
          Math.max(
            ...[node, otherProfile].map(
              (calls) => calls.find((c) => c.outcome.status !== 200)?.at ?? Infinity,
            ),
          );
        const deadline = copiedAt + TTL_MS + SLACK_MS + REFUSED_FOR_MS;
        while (
          Date.now() < deadline &&
          !(refusedBoth() && Date.now() > refusedSince() + REFUSED_FOR_MS)
        ) {
          node.push({ at: Date.now(), outcome: await meFromNode(system.shop, header) });
          otherProfile.push({ at: Date.now(), outcome: await meFromPage(otherPage) });
          original.push(await meFromPage(page));
          await delay(POLL_MS);
        }

        const describeCopy = (calls: typeof node) => {
          const firstRefusal = calls.findIndex((c) => c.outcome.status !== 200);
          return {
            worked: calls.slice(0, firstRefusal).map((c) => c.outcome.status),
            lastWorkedMs: firstRefusal < 1 ? null : calls[firstRefusal - 1].at - copiedAt,
            refusedAfterMs: firstRefusal < 0 ? null : calls[firstRefusal].at - copiedAt,
            afterwards: [
              ...new Set(calls.slice(firstRefusal).map((c) => describeOutcome(c.outcome))),
            ],
            watchedRefusedMs:
              firstRefusal < 0 ? 0 : calls[calls.length - 1].at - calls[firstRefusal].at,
          };
        };
        const fromNode = describeCopy(node);
        const fromOtherProfile = describeCopy(otherProfile);

        expect(valueOf(copy, SESSION_COOKIE)).toBeDefined();
        expect(valueOf(copy, BOUND_COOKIE)).toBeDefined();
        for (const copied of [fromNode, fromOtherProfile]) {
          expect(copied.worked.length).toBeGreaterThanOrEqual(1);
          expect(copied.worked.every((status) => status === 200)).toBe(true);
          // The copied bound cookie was issued before the copy: no call sent a lifetime later can pass.
          expect(copied.lastWorkedMs).toBeLessThan(TTL_MS);
          expect(copied.refusedAfterMs).not.toBeNull();
          expect(copied.refusedAfterMs).toBeLessThanOrEqual(TTL_MS + SLACK_MS);
          expect(copied.afterwards).toEqual(['401 bound_cookie_required']);
          expect(copied.watchedRefusedMs).toBeGreaterThanOrEqual(REFUSED_FOR_MS - 2 * POLL_MS);
        }
        expect(original.filter((o) => o.status !== 200)).toEqual([]);

        const say = (copied: typeof fromNode) =>
          `200 ×${copied.worked.length} (the last sent ${((copied.lastWorkedMs ?? 0) / 1000).toFixed(1)} s after the copy), refused from ${((copied.refusedAfterMs ?? 0) / 1000).toFixed(1)} s ` +
          `after the copy and for the ${(copied.watchedRefusedMs / 1000).toFixed(1)} s watched after: ${copied.afterwards.join(', ')}`;
        recordBrowserClaim(
          CLAIMS.copied,
          `the jar (${copy.map((c) => c.name).join(', ')}) copied just after Chromium renewed the bound ` +
            `cookie (${BOUND_COOKIE_TTL} s), GET /api/me every ${POLL_MS / 1000} s: from Node with the ` +
            `copied cookies ${say(fromNode)}; from another browser profile given them with addCookies ` +
            `${say(fromOtherProfile)}; the original page meanwhile ${tally(original)}`,
        );
      },
      TTL_MS + SLACK_MS + REFUSED_FOR_MS + 30_000,
    );

    it('cannot refresh the bound cookie with another key: the refresh is refused and the session ends for the original page too', async () => {
      const before = await dbscRefreshes(system.sut.auth);
      const forged: ForgedRefresh = await refreshWithAnotherKey(
        system.shop,
        `${SESSION_COOKIE}=${valueOf(copy, SESSION_COOKIE) ?? ''}`,
        row?.id ?? '',
      );
      const after = await dbscRefreshes(system.sut.auth);
      const originalAfter = await meFromPage(page);
      const nodeAfter = await meFromNode(system.shop, cookieHeader(copy));

      expect(forged.challenged).toEqual({ status: 403, code: 'session_proof_required' });
      expect(forged.challenge).toMatch(/^[\w-]{43}$/);
      expect(forged.refused).toEqual({ status: 401, code: 'invalid_session_proof' });
      expect((after['refused'] ?? 0) - (before['refused'] ?? 0)).toBe(1);
      expect(originalAfter.status).toBe(401);
      expect(nodeAfter.status).toBe(401);

      recordBrowserClaim(
        CLAIMS.otherKey,
        `from Node with the copied session cookie and the handle from the session listing: ` +
          `POST ${DBSC_REFRESH_PATH} without a proof ${describeOutcome(forged.challenged)} ` +
          `with a challenge; the challenge signed by the attacker's own P-256 key (dbsc+jwt) ` +
          `${describeOutcome(forged.refused)}; then the original browser page's GET /api/me ` +
          `${describeOutcome(originalAfter)} and the copy's ${describeOutcome(nodeAfter)}: the session is over`,
      );
    });
  });
});

it('logged no console error, uncaught exception or CSP violation on the demo pages', () => {
  expect(problems).toEqual([]);
});
