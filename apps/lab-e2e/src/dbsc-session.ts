import { setTimeout as delay } from 'node:timers/promises';
import { generateKeyPair, SignJWT } from 'jose';
import { http, newCredentials, pollUntil } from '@svt/shared/testing';
import type { HttpClient, HttpResponse, MeteredService } from '@svt/shared/testing';
import type { Cookie, Page } from 'playwright-core';

/**
 * A Device Bound Session (W3C DBSC draft) as the lab drives it: a session
 * login on the demo page, which Chromium then binds to a key of its own,
 * and what someone holding the cookies but not that key can do.
 */

/** SHOP's refresh endpoint for bound sessions, the `refresh_url` AUTH's registration names. */
export const DBSC_REFRESH_PATH = '/api/auth/session/dbsc/refresh';

/**
 * The long-lived session cookie, and the short-lived one that only the key
 * can renew. The bound cookie's prefix is `__Host-`, not `__Host-Http-`:
 * Chromium 156 cannot bind a `__Host-Http-` cookie. Both are HttpOnly.
 */
export const SESSION_COOKIE = '__Host-Http-sid';
export const BOUND_COOKIE = '__Host-sid-bound';

/** One `/api/me` call: its status and, for a refusal, the problem's code. */
export interface Outcome {
  readonly status: number;
  readonly code: string | null;
}

/** "200", "401 bound_cookie_required". */
export function describeOutcome({ status, code }: Outcome): string {
  return code ? `${status} ${code}` : String(status);
}

/** The user: registers and logs in with a session through the page's buttons. */
export async function sessionLogIn(page: Page): Promise<void> {
  const credentials = newCredentials();
  await page.locator('#credentials [name="email"]').fill(credentials.email);
  await page.locator('#credentials [name="password"]').fill(credentials.password);
  for (const [action, done] of [
    ['register', /^Registered /],
    ['session-login', /^Logged in with a session /],
  ] as const) {
    await page.locator(`[data-action="${action}"]`).click();
    await page
      .locator('#status')
      .filter({ hasText: new RegExp(`${done.source}|^Error:`) })
      .waitFor();
    const status = (await page.locator('#status').textContent()) ?? '';
    if (!done.test(status)) throw new Error(`${action} failed on the page: ${status}`);
  }
}

/** The session's row in GET /api/auth/sessions, as the page sees it. */
export interface BoundSessionRow {
  /** The session handle: DBSC's `session_identifier`. */
  readonly id: string;
  readonly deviceBound: boolean;
}

/**
 * Waits until Chromium has registered the page's session (AUTH lists it as
 * device-bound) and returns its row, or the last one seen: the caller
 * asserts. Chromium registers in the background after the login's answer;
 * nothing on the page says when.
 */
export function waitForBinding(page: Page, timeoutMs = 15_000): Promise<BoundSessionRow | null> {
  return pollUntil(
    () =>
      page.evaluate(async () => {
        const response = await fetch('/api/auth/sessions');
        if (!response.ok) return null;
        const rows = (await response.json()) as {
          id: string;
          current: boolean;
          deviceBound?: boolean;
        }[];
        const current = rows.find((r) => r.current);
        return current ? { id: current.id, deviceBound: current.deviceBound === true } : null;
      }),
    (found) => found?.deviceBound === true,
    { timeoutMs },
  );
}

/** GET /api/me from inside the page, the browser adding its cookies (and refreshing them). */
export function meFromPage(page: Page): Promise<Outcome> {
  return page.evaluate(async () => {
    const response = await fetch('/api/me');
    const body = (await response.json().catch(() => ({}))) as { code?: unknown };
    return { status: response.status, code: typeof body.code === 'string' ? body.code : null };
  });
}

/** GET /api/me from Node with `cookie`: what a copied cookie jar gets elsewhere. */
export async function meFromNode(shop: HttpClient, cookie: string): Promise<Outcome> {
  return outcomeOf(await shop.get('/api/me', { headers: { cookie: cookie || undefined } }));
}

export function outcomeOf(response: HttpResponse): Outcome {
  const code = response.json?.['code'];
  return { status: response.status, code: typeof code === 'string' ? code : null };
}

/**
 * The page's cookies for `origin` just after Chromium renewed the bound
 * cookie, as malware on the machine would copy the jar: the copy's whole
 * lifetime is then ahead. Chromium renews on the page's own requests, so the
 * page calls /api/me until it has; after `timeoutMs` the jar is returned as
 * it is, for the caller's assertions.
 */
export async function copyJarAfterRenewal(
  page: Page,
  origin: string,
  timeoutMs: number,
): Promise<Cookie[]> {
  const bound = async () =>
    (await page.context().cookies(origin)).find((cookie) => cookie.name === BOUND_COOKIE)?.value;
  const seen = await bound();
  const deadline = Date.now() + timeoutMs;
  while ((await bound()) === seen && Date.now() < deadline) {
    await meFromPage(page);
    await delay(100);
  }
  return page.context().cookies(origin);
}

/** A `Cookie` header of SHOP's cookies for `/`, as a copied jar would send them. */
export function cookieHeader(cookies: readonly Cookie[]): string {
  return cookies
    .filter((cookie) => cookie.path === '/')
    .map((cookie) => `${cookie.name}=${cookie.value}`)
    .join('; ');
}

/** AUTH's `dbsc_refreshes_total` by result (refreshed, challenged, refused, unknown_session). */
export async function dbscRefreshes(auth: MeteredService): Promise<Record<string, number>> {
  const { text } = await http(auth.metrics).get('/metrics');
  const counts: Record<string, number> = {};
  for (const [, labels, value] of text.matchAll(/^dbsc_refreshes_total\{([^}]*)\} (\S+)$/gm)) {
    const result = /result="([^"]+)"/.exec(labels)?.[1];
    if (result) counts[result] = (counts[result] ?? 0) + Number(value);
  }
  return counts;
}

/** What a refresh attempt by someone without the registered key got. */
export interface ForgedRefresh {
  /** The first call, without a proof: 403 with a challenge to sign. */
  readonly challenged: Outcome;
  readonly challenge: string | null;
  /** The second, with that challenge signed by the attacker's own key. */
  readonly refused: Outcome;
  /** The `Set-Cookie` lines of the refusal. */
  readonly setCookie: readonly string[];
}

/**
 * Tries the DBSC refresh with the session cookie and the handle, as the
 * browser would, but signs the server's challenge with a fresh key: a copied
 * cookie jar has everything but the registered key.
 */
export async function refreshWithAnotherKey(
  shop: HttpClient,
  sessionCookie: string,
  handle: string,
): Promise<ForgedRefresh> {
  const headers = {
    cookie: sessionCookie,
    origin: new URL(shop.service.origin).origin,
    'sec-secure-session-id': `"${handle}"`,
  };
  const first = await shop.post(DBSC_REFRESH_PATH, undefined, { headers });
  // RFC 8941 string, then parameters: "<challenge>";id="<handle>"
  const challenge = /^"([^"]*)"/.exec(first.headers['secure-session-challenge'] ?? '')?.[1] ?? null;
  const { privateKey } = await generateKeyPair('ES256');
  const proof = await new SignJWT({ jti: challenge ?? '' })
    .setProtectedHeader({ alg: 'ES256', typ: 'dbsc+jwt' })
    .sign(privateKey);
  const second = await shop.post(DBSC_REFRESH_PATH, undefined, {
    headers: { ...headers, 'secure-session-response': `"${proof}"` },
  });
  return {
    challenged: outcomeOf(first),
    challenge,
    refused: outcomeOf(second),
    setCookie: second.setCookie,
  };
}
