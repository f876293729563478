import { ScriptedBrowser, http, registerUser } from '@svt/shared/testing';
import type { SystemUnderTest } from '@svt/shared/testing';
import { percentile } from './load';
import { cpuSeconds } from './processes';
import type { BenchBackend, SingleSignOnResult } from './scenarios';

/**
 * Single sign-on as a browser meets it: a user signed in on SHOP with AUTH
 * opens the cart site top-level, and the timer runs until the cart page is
 * there, signed in (every redirect included: CART → AUTH → CART's callback,
 * where CART redeems the code at AUTH's token endpoint, → the page). Each
 * trial is a new browser and a new AUTH session, so nothing is cached but
 * what a second visitor would find cached (the relying parties' discovery
 * and keys). AUTH's CPU is read around the timed part only: what one silent
 * sign-in costs it, apart from the password check before.
 */
export async function measureSingleSignOn(
  system: SystemUnderTest,
  backend: BenchBackend,
  trials: number,
): Promise<SingleSignOnResult> {
  const user = await registerUser(http(system.shop), undefined, '/api/auth');
  const times: number[] = [];
  const redirects: number[] = [];
  let authCpuSeconds = 0;
  for (let trial = 0; trial < trials; trial++) {
    const browser = new ScriptedBrowser([system.shop, system.auth, system.cart]);
    const page = await browser.navigate(`${system.shop.origin}/api/sso/login`);
    const signedIn = await browser.signIn(page, user);
    if (signedIn.url !== `${system.shop.origin}/`) {
      throw new Error(`bench: signing in on SHOP ended at ${signedIn.url}`);
    }
    const cpuBefore = await cpuSeconds(system.auth.pid);
    const started = performance.now();
    const visit = await browser.navigate(`${system.cart.origin}/`);
    const elapsed = performance.now() - started;
    const cpuAfter = await cpuSeconds(system.auth.pid);
    if (visit.response.status !== 200 || !visit.response.text.includes(user.id)) {
      throw new Error(`bench: the cart site answered ${visit.response.status} at ${visit.url}`);
    }
    times.push(elapsed);
    redirects.push(visit.hops.length - 1);
    if (cpuBefore !== undefined && cpuAfter !== undefined) authCpuSeconds += cpuAfter - cpuBefore;
  }
  return {
    backend,
    trials,
    p50Ms: percentile(times, 0.5),
    p99Ms: percentile(times, 0.99),
    redirects: Math.max(...redirects),
    authCpuMsPerSignIn: (authCpuSeconds * 1000) / trials,
  };
}
