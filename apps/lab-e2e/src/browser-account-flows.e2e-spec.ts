import { setTimeout as sleep } from 'node:timers/promises';
import { http, newCredentials, startSystem, strongPassword } from '@svt/shared/testing';
import type { Credentials, SystemUnderTest } from '@svt/shared/testing';
import { Secret, TOTP } from 'otpauth';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import {
  forgetBrowserClaims,
  isPng,
  labFile,
  launchChromium,
  openDemoTab,
  recordBrowserClaim,
} from './browser-support';

/**
 * The account's life in the demo page, in Debian's Chromium, through the
 * page's own forms: register, open the verification link from the mail,
 * turn on an authenticator, log in in two steps (session and tokens), reset
 * a forgotten password from the mailed link, log in with the new one. Mail
 * is read from the system's mail catcher, as a user would read it.
 */

const CLAIMS = {
  fragment: "A mailed link's token reaches the server in a POST body, never in a URL",
} as const;

/** What the gateway tells the page at `/demo/config.json`. */
interface DemoConfig {
  shopOrigin: string;
  sessionCookieName: string;
  mailCatcherOrigin?: string;
}

const TOTP_PERIOD_MS = 30_000;

/**
 * An authenticator app for the test: codes from the enrolment's secret
 * (RFC 6238: SHA-1, 6 digits, 30 s). The server refuses a time step it has
 * already accepted (replay), so each code is for a later step than the last;
 * the server accepts one step ahead, so at most that, waiting when needed.
 */
class Authenticator {
  private readonly totp: TOTP;
  private lastStep = 0;

  constructor(secret: string) {
    this.totp = new TOTP({
      secret: Secret.fromBase32(secret.replace(/[\s-]/g, '')),
      algorithm: 'SHA1',
      digits: 6,
      period: TOTP_PERIOD_MS / 1000,
    });
  }

  async nextCode(): Promise<string> {
    const current = Math.floor(Date.now() / TOTP_PERIOD_MS);
    const step = Math.max(current, this.lastStep + 1);
    if (step > current + 1) {
      // Until `step - 1` is the current step (and a little more, for the clocks' skew).
      await sleep((step - 1) * TOTP_PERIOD_MS - Date.now() + 250);
    }
    this.lastStep = step;
    return this.totp.generate({ timestamp: step * TOTP_PERIOD_MS });
  }
}

/**
 * Clicks a button of the page and waits until the status line reports the
 * outcome: `done`, or the page's "Error: …" (asserted against, so the failure
 * shows the page's own explanation).
 */
async function act(page: Page, action: string, done: RegExp): Promise<void> {
  const status = page.locator('#status');
  // Blanked first, so that the last action's line (an error, say) is not taken for this one's.
  await status.evaluate((element) => {
    element.textContent = '';
  });
  await page.locator(`[data-action="${action}"]`).click();
  await status.filter({ hasText: new RegExp(`${done.source}|^Error:`) }).waitFor();
  expect(await status.textContent()).toMatch(done);
}

async function fillCredentials(page: Page, email: string, password: string): Promise<void> {
  await page.locator('#credentials [name="email"]').fill(email);
  await page.locator('#credentials [name="password"]').fill(password);
}

/** A password login that the account answers with its second step, finished with `code`. */
async function logInWithCode(
  page: Page,
  kind: 'session' | 'token' | 'bound',
  code: string,
  done: RegExp,
): Promise<void> {
  await act(page, `${kind}-login`, /^Password accepted, and this account has a second factor/);
  await page.locator(`#second-step[data-kind="${kind}"]:not([hidden])`).waitFor();
  await page.locator('#second-step-code').fill(code);
  await act(page, 'second-factor', done);
  await page.locator('#second-step[hidden]').waitFor({ state: 'attached' });
}

describe('the account flows in the demo page', () => {
  let sut: SystemUnderTest;
  let browser: Browser;
  let config: DemoConfig;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const requests: Request[] = [];
  const user: Credentials = newCredentials();
  const newPassword = strongPassword();
  let authenticator: Authenticator;
  let recoveryCodes: string[] = [];
  const mailedTokens: string[] = [];

  /** The link to `#<key>=…` in the newest mail to the user that has one. */
  async function mailedLink(key: string): Promise<string> {
    const marker = `#${key}=`;
    const mail = await sut.mail.waitForMail(user.email, (m) =>
      m.links.some((link) => link.includes(marker)),
    );
    const link = mail.links.find((candidate) => candidate.includes(marker));
    if (!link) throw new Error(`e2e: no ${marker} link in the mail`);
    mailedTokens.push(link.slice(link.indexOf(marker) + marker.length));
    return link;
  }

  beforeAll(async () => {
    forgetBrowserClaims(Object.values(CLAIMS));
    sut = await startSystem();
    browser = await launchChromium();
    const response = await http(sut.shop).get<DemoConfig>('/demo/config.json');
    if (response.status !== 200 || response.json === undefined) {
      throw new Error(`e2e set-up: /demo/config.json answered ${response.status}`);
    }
    config = response.json;
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    context.on('request', (request) => requests.push(request));
    page = await openDemoTab(context, `${config.shopOrigin}/`, problems);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await sut?.stop();
  });

  it('links to the mail catcher', async () => {
    const link = page.locator('#open-mail');

    expect(config.mailCatcherOrigin).toEqual(expect.any(String));
    expect(await link.isVisible()).toBe(true);
    expect(await link.getAttribute('href')).toBe(`${config.mailCatcherOrigin}/`);
  });

  it('registers and logs in with a session; the address is not verified yet', async () => {
    await fillCredentials(page, user.email, user.password);
    await act(page, 'register', /^Registered /);
    await act(page, 'session-login', /^Logged in with a session /);

    await page.locator('#state-address[data-verified="false"]').waitFor();
    expect(await page.locator('#state-factors').getAttribute('data-amr')).toBe('pwd');
  });

  it('verifies the address from the link in the mail, and takes the token out of the address bar', async () => {
    const link = await mailedLink('verify-email');
    expect(link.startsWith(`${config.shopOrigin}/#verify-email=`)).toBe(true);

    await page.goto(link);
    await page
      .locator('#status')
      .filter({ hasText: /^Verified |^Error:/ })
      .waitFor();

    expect(await page.locator('#status').textContent()).toBe(
      `Verified ${user.email}: the link proved the mailbox is yours.`,
    );
    await page.locator('#state-address[data-verified="true"]').waitFor();
    expect(page.url()).toBe(`${config.shopOrigin}/`);
    const png = await page.screenshot({ path: labFile('account-verified.png'), fullPage: true });
    expect(isPng(png)).toBe(true);
  });

  it('sets up an authenticator: a QR code and the secret, then the recovery codes, once', async () => {
    await act(page, 'totp-start', /^Scan the QR code/);
    const secret = (await page.locator('#totp-secret').textContent()) ?? '';
    const qr = page.locator('#totp-qr');
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    // Drawn under the page's CSP (img-src 'self' data:), not refused.
    await page.waitForFunction(() => {
      const scope = globalThis as unknown as {
        document: { querySelector(selector: string): { naturalWidth: number } | null };
      };
      return (scope.document.querySelector('#totp-qr')?.naturalWidth ?? 0) > 0;
    });
    const png = await page.screenshot({ path: labFile('account-totp.png'), fullPage: true });
    expect(isPng(png)).toBe(true);
    authenticator = new Authenticator(secret);

    await page.locator('#totp-confirm-code').fill(await authenticator.nextCode());
    await act(page, 'totp-confirm', /^Two-factor authentication is on/);

    recoveryCodes = await page.locator('#recovery-codes li').allTextContents();
    expect(recoveryCodes).toHaveLength(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/i);
    expect(await page.locator('#totp-state').getAttribute('data-enabled')).toBe('true');
    expect(await page.locator('#totp-enrolment').isHidden()).toBe(true);
  });

  it('explains that listing the sessions now needs a login with the code (step-up)', async () => {
    await act(page, 'list-sessions', /^Error: Listing the sessions needs a fresh second factor/);

    expect(await page.locator('#step-up').isVisible()).toBe(true);
    expect(await page.locator('#session-list li').count()).toBe(0);
  });

  it('asks for the code after the password, with no session before it, then logs in with the session', async () => {
    await act(page, 'session-logout', /^Logged out/);
    await fillCredentials(page, user.email, user.password);

    await act(page, 'session-login', /^Password accepted, and this account has a second factor/);
    const cookies = await context.cookies(config.shopOrigin);
    expect(cookies.map((cookie) => cookie.name)).not.toContain(config.sessionCookieName);
    expect(await page.locator('#state').getAttribute('data-session')).toBe('false');

    await page.locator('#second-step-code').fill(await authenticator.nextCode());
    await act(page, 'second-factor', /^Logged in with a session /);
    await page.locator('#state-factors[data-amr="pwd otp"]').waitFor();
    expect(await page.locator('#state-factors').textContent()).toContain('"aal2"');
  });

  it('logs in with tokens in two steps too, and the access token says how', async () => {
    await logInWithCode(page, 'token', await authenticator.nextCode(), /^Logged in with tokens: /);

    const claims = await page.locator('#claims').textContent();
    expect(claims).toContain('["pwd","otp"]');
    expect(claims).toContain('"aal2"');
    const png = await page.screenshot({ path: labFile('account-two-step.png'), fullPage: true });
    expect(isPng(png)).toBe(true);
  }, 60_000);

  it('lists the sessions, each with the factors it was earned with', async () => {
    await act(page, 'list-sessions', /^The account has /);

    const listed = await page
      .locator('#session-list li')
      .evaluateAll((items) =>
        items.map((item) => (item as unknown as { dataset: { amr?: string } }).dataset.amr),
      );
    expect(listed).toContain('pwd otp');
    expect(await page.locator('#step-up').isHidden()).toBe(true);
  });

  it('resets a forgotten password from the link in the mail, ending the old session', async () => {
    await act(page, 'token-logout', /^Logged out/);
    await page.locator('#forgot-email').fill(user.email);
    await act(page, 'forgot-password', /^If an account uses this address, a reset link/);
    const link = await mailedLink('reset-password');
    expect(link.startsWith(`${config.shopOrigin}/#reset-password=`)).toBe(true);

    await page.goto(link);
    await page.locator('#reset:not([hidden])').waitFor();
    expect(page.url()).toBe(`${config.shopOrigin}/`);
    await page.locator('#reset-password').fill(newPassword);
    const png = await page.screenshot({ path: labFile('account-reset.png'), fullPage: true });
    expect(isPng(png)).toBe(true);
    await act(page, 'reset-password', /^Password changed/);

    await page.locator('#state[data-session="false"]').waitFor();
    expect(await page.locator('#reset').isHidden()).toBe(true);
  });

  it('refuses the old password and logs in with the new one and a recovery code', async () => {
    await fillCredentials(page, user.email, user.password);
    await act(page, 'session-login', /^Error: Could not log in with a session/);

    await fillCredentials(page, user.email, newPassword);
    await logInWithCode(page, 'session', recoveryCodes[0] ?? '', /^Logged in with a session /);

    await page.locator('#state[data-session="true"]').waitFor();
    await page.locator('#state-address[data-verified="true"]').waitFor();
    const png = await page.screenshot({
      path: labFile('account-new-password.png'),
      fullPage: true,
    });
    expect(isPng(png)).toBe(true);
  });

  it('logs in with a bound token in two steps, the second proved by the same key', async () => {
    await logInWithCode(page, 'bound', recoveryCodes[2] ?? '', /^Logged in with a bound token/);

    await page.locator('#state[data-bound="true"]').waitFor();
    const claims = await page.locator('#claims').textContent();
    expect(claims).toContain('cnf');
    expect(claims).toContain('"pwd"');
  });

  it('turns the second factor off with a recovery code', async () => {
    await page.locator('#totp-disable-code').fill(recoveryCodes[1] ?? '');
    await act(page, 'totp-disable', /^Two-factor authentication is off/);
    await act(page, 'totp-status', /^Two-factor authentication is off\.$/);

    expect(await page.locator('#totp-state').getAttribute('data-enabled')).toBe('false');
  });

  it("sent each mailed link's token in a POST body, never in a URL", async () => {
    expect(mailedTokens).toHaveLength(2);
    const inUrls = requests.filter((request) =>
      mailedTokens.some((token) => request.url().includes(token)),
    );
    const posted = requests.filter(
      (request) =>
        request.method() === 'POST' &&
        mailedTokens.some((token) => (request.postData() ?? '').includes(token)),
    );

    expect(inUrls.map((request) => request.url())).toEqual([]);
    expect(posted.map((request) => new URL(request.url()).pathname).sort()).toEqual([
      '/api/auth/email/verify',
      '/api/auth/password/reset',
    ]);

    recordBrowserClaim(
      CLAIMS.fragment,
      `Chromium ${browser.version()}: the verification and reset links put their token after #; ` +
        `of ${requests.length} requests, none had it in its URL, and the page posted each once ` +
        `(${posted.map((request) => new URL(request.url()).pathname).join(', ')})`,
    );
  });

  it('logged no console error, uncaught exception or CSP violation', async () => {
    await page.close();

    expect(problems).toEqual([]);
  });
});
