import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { labDir } from './lab-record';
import type { ClaimRecord } from './lab-record';

/**
 * What the browser specs share: Debian's Chromium driven by playwright-core,
 * a console watch that turns page errors into test failures, and the
 * browser's rows of the lab report (tmp/lab/browser.jsonl).
 */

/** Debian's build; `npx playwright install` cannot download one here. */
const CHROMIUM = '/usr/bin/chromium';

/** No sandbox (containers run as root), and nothing that phones home during a run. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/**
 * Device Bound Session Credentials as Chromium 156 ships them: off unless
 * forced, gated on origin-trial tokens, and wanting a TPM unless software
 * keys are allowed (a headless Linux machine has none). Its quota of six
 * signatures per site every nine minutes is off too: the lab's bound cookies
 * live seconds, not the hours a deployment gives them, and Chromium renews
 * one that has less than two minutes left on every request.
 */
const DBSC_FEATURES =
  'DeviceBoundSessions:RequireOriginTrialTokens/false/ForceEnableForTesting/true/RefreshQuota/false,' +
  'PersistDeviceBoundSessions,EnableBoundSessionCredentialsSoftwareKeysForManualTesting';

/**
 * Chromium with DBSC on, `*.test` names resolved to 127.0.0.1, and the
 * certificate whose SPKI hash is `spkiHash` (an `HttpsFront`'s) trusted.
 * Chromium registers bound sessions only over https with a certificate it
 * counts as valid: `--ignore-certificate-errors` is not enough, the SPKI list is.
 */
export function launchChromiumWithDbsc(spkiHash: string): Promise<Browser> {
  return launchChromium([
    `--enable-features=${DBSC_FEATURES}`,
    `--ignore-certificate-errors-spki-list=${spkiHash}`,
    '--host-resolver-rules=MAP *.test 127.0.0.1',
  ]);
}

/**
 * Chromium logs every response with an error status as a console error of
 * its own ("Failed to load resource: the server responded with a status of
 * 401 (Unauthorized)"), even when the page handles the answer. The demo
 * expects 401s (the cookie that does not reach CART, the session check
 * before anyone logged in), so those lines, and only those, are not page
 * errors. Any other status, a network failure or a CSP refusal still is.
 */
const EXPECTED_STATUS_LINE = 'Failed to load resource: the server responded with a status of 401';

/** The binding through which the page reports `securitypolicyviolation` events. */
const CSP_BINDING = '__svtCspViolation';

/**
 * Starts collecting what would be a bug in `page`: `console.error` lines,
 * uncaught exceptions and CSP violations (reported by the event as well as
 * by Chromium's console line, so that a change in either still fails).
 * Call it before the first navigation; assert the list is empty at the end.
 */
export async function watchConsole(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (text.startsWith(EXPECTED_STATUS_LINE)) return;
    const where = message.location().url;
    problems.push(`console error: ${text}${where ? ` (at ${where})` : ''}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught exception: ${error.message}`));
  await page.exposeFunction(CSP_BINDING, (violation: string) => {
    problems.push(`CSP violation: ${violation}`);
  });
  await page.addInitScript((binding: string) => {
    // No DOM lib in this project's types: the little of it used here, spelled out.
    interface Violation {
      effectiveDirective: string;
      blockedURI: string;
      sourceFile: string;
    }
    const scope = globalThis as unknown as Record<string, unknown> & {
      addEventListener(type: string, listener: (event: Violation) => void): void;
    };
    // The event bubbles from the element to the document and on to the window.
    scope.addEventListener('securitypolicyviolation', (event) => {
      const report = scope[binding] as ((text: string) => void) | undefined;
      report?.(`${event.effectiveDirective} refused ${event.blockedURI} (${event.sourceFile})`);
    });
  }, CSP_BINDING);
  return problems;
}

const BROWSER_CLAIMS = 'browser.jsonl';

/**
 * Drops this spec's earlier rows from tmp/lab/browser.jsonl, so a claim whose
 * test fails this time does not keep last run's "holds". Rows of the other
 * browser spec stay.
 */
export function forgetBrowserClaims(claims: readonly string[]): void {
  const file = join(labDir(), BROWSER_CLAIMS);
  if (!existsSync(file)) return;
  const kept = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => !claims.includes(claimOf(line)));
  writeFileSync(file, kept.map((line) => `${line}\n`).join(''));
}

/**
 * Appends a browser measurement to tmp/lab/browser.jsonl, in the shape of
 * claims.jsonl. Call it after the assertions, so a row says "holds" only
 * when the test passed.
 */
export function recordBrowserClaim(claim: string, measured: string): void {
  const record: ClaimRecord = { claim, measured, result: 'holds' };
  appendFileSync(join(labDir(), BROWSER_CLAIMS), `${JSON.stringify(record)}\n`);
}

/**
 * A new tab of `context` at `url` (the demo page), once the page says it is
 * ready; the errors its console showed are added to `problems` when it
 * closes, for the test to assert empty.
 */
export async function openDemoTab(
  context: BrowserContext,
  url: string,
  problems: string[],
): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const watched = await watchConsole(page);
  page.on('close', () => problems.push(...watched));
  await page.goto(url);
  await page.locator('body[data-ready="true"]').waitFor();
  return page;
}

/** A screenshot's path under tmp/lab/. */
export function labFile(name: string): string {
  return join(labDir(), name);
}

function claimOf(line: string): string {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && 'claim' in parsed
      ? String(parsed.claim)
      : '';
  } catch {
    return '';
  }
}

/** The PNG signature (RFC 2083 §3.1): a screenshot that is an image and not an empty file. */
export function isPng(bytes: Buffer): boolean {
  return bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}
