import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  HttpClient,
  HttpResponse,
  SessionLogin,
  SystemUnderTest,
  TokenLogin,
} from '@svt/shared/testing';
import {
  csrfHeaders,
  decodeJwt,
  dpopRequest,
  generateDpopKey,
  epochSeconds,
  expectBearerChallenge,
  expectProblem,
  expectStatus,
  generateEs256Key,
  http,
  loginWithDpop,
  loginWithSession,
  loginWithToken,
  registerUser,
  SESSION_COOKIE,
  signEs256Jwt,
  startSystem,
} from '@svt/shared/testing';
import type { ConsumerApp } from './consumer-app';
import {
  buildAndPack,
  compileConsumer,
  filesNamingWorkspaceAliases,
  importFromEsm,
  installConsumer,
  removeConsumer,
  say,
  scaffoldConsumer,
  startConsumer,
} from './consumer-app';

/** The issue's bound for a revoked credential to stop working. */
const REVOCATION_BOUND_MS = 1_000;

let sut: SystemUnderTest;
let auth: HttpClient;
let consumer: ConsumerApp;
let app: HttpClient;
let packDir: string | undefined;
let consumerDir: string | undefined;

beforeAll(async () => {
  const started = Date.now();
  const step = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const result = await work();
    say(`${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return result;
  };
  packDir = mkdtempSync(join(tmpdir(), 'nest-authn-pack-'));
  const [system, tarball] = await Promise.all([
    step('system started (auth, gateway, cart)', () => startSystem()),
    step('package built and packed', () => buildAndPack(packDir as string)),
  ]);
  sut = system;
  auth = http(sut.auth);
  say(`tarball ${tarball.slice(tarball.lastIndexOf('/') + 1)}`);
  consumerDir = await step('fresh Nest app generated outside the workspace', () =>
    scaffoldConsumer(tarball),
  );
  say(`  in ${consumerDir}`);
  await step(
    'npm install of the tarball and its peers from the npm cache (scripts skipped; better-sqlite3 binary reused)',
    () => installConsumer(consumerDir as string),
  );
  await step('the README example compiled by tsc against the installed package', () =>
    compileConsumer(consumerDir as string),
  );
  const sessionStoreUrl =
    sut.backend === 'embedded' ? join(sut.dataDir, 'sessions.sqlite') : (readRedisUrl() as string);
  consumer = await step('consumer app started', () =>
    startConsumer(consumerDir as string, {
      JWKS_URL: `${sut.auth.url}/.well-known/jwks.json`,
      TOKEN_ISSUER: sut.auth.origin,
      TOKEN_AUDIENCE: 'svt-api',
      SESSION_STORE_URL: sessionStoreUrl,
      REDIS_KEY_PREFIX: sut.redisKeyPrefix,
    }),
  );
  app = http({ name: 'consumer', port: Number(new URL(consumer.url).port), origin: consumer.url });
  say(
    `backend ${sut.backend}: JWKS ${sut.auth.url}/.well-known/jwks.json, session store ${
      sut.backend === 'embedded' ? sessionStoreUrl : `Redis (prefix ${sut.redisKeyPrefix})`
    }`,
  );
  say(`set-up took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 150_000);

afterAll(async () => {
  await consumer?.stop();
  await sut?.stop();
  removeConsumer(consumerDir);
  if (packDir) rmSync(packDir, { recursive: true, force: true });
});

/** The Redis the services were given (the harness reads REDIS_URL; so does this test, through the same place). */
function readRedisUrl(): string | undefined {
  // eslint-disable-next-line no-restricted-syntax -- the harness reads the CI-provided server URLs
  return process.env['REDIS_URL'] || undefined;
}

function cookie(login: SessionLogin): Record<string, string> {
  return { cookie: `${SESSION_COOKIE}=${login.sessionId}` };
}

function show(request: string, response: HttpResponse<unknown>): void {
  const body = response.json as Record<string, unknown> | undefined;
  const summary =
    response.status < 300
      ? JSON.stringify(body)
      : `${String(body?.['code'])}${response.headers['www-authenticate'] ? ` (WWW-Authenticate: ${response.headers['www-authenticate']})` : ''}`;
  say(`${request} → ${response.status} ${summary}`);
}

/**
 * Sends `probe` until it answers 401, from the moment `revoke` answered; the
 * time that took, and the last answer.
 */
async function timeUntilRefused(
  probe: () => Promise<HttpResponse<unknown>>,
): Promise<{ elapsedMs: number; response: HttpResponse<unknown> }> {
  const since = Date.now();
  let response = await probe();
  while (response.status !== 401 && Date.now() - since < 5_000) {
    await sleep(20);
    response = await probe();
  }
  return { elapsedMs: Date.now() - since, response };
}

describe('the nest-authn package, installed from its tarball into a fresh Nest app', () => {
  let user: { id: string; email: string; password: string };
  let session: SessionLogin;
  let tokens: TokenLogin;

  beforeAll(async () => {
    user = await registerUser(auth);
    session = await loginWithSession(auth, user);
    tokens = await loginWithToken(auth, user);
  });

  it("installs with no reference to the workspace's path aliases", () => {
    const offenders = filesNamingWorkspaceAliases(consumer.dir);

    say(`installed package files naming @svt/: ${offenders.length}`);
    expect(offenders).toEqual([]);
  });

  it('is imported by name from an ES module too', async () => {
    const kinds = await importFromEsm(consumer.dir, [
      'AuthnKitModule',
      'Authenticated',
      'CurrentIdentity',
    ]);

    say(
      `import { … } from '@session-vs-token/nest-authn' in an ES module: ${JSON.stringify(kinds)}`,
    );
    expect(kinds).toEqual({
      AuthnKitModule: 'function',
      Authenticated: 'function',
      CurrentIdentity: 'function',
    });
  });

  it('answers 401 unauthenticated to a request with no credential', async () => {
    const response = await app.get('/account');

    show('GET /account (no credential)', response);
    expectProblem(response, 401, 'unauthenticated');
  });

  it('lets a route without @Authenticated through', async () => {
    const response = await app.get('/hello');

    show('GET /hello (no credential, not protected)', response);
    expectStatus(response, 200);
  });

  it('answers 200 with the user id to the session cookie of a real login', async () => {
    const response = await app.get('/account', { headers: cookie(session) });

    show('GET /account (session cookie from AUTH)', response);
    expectStatus(response, 200);
    expect(response.json).toEqual({ userId: user.id, credential: 'session-cookie' });
  });

  it('answers 200 with the user id to the Bearer access token of a real token login', async () => {
    const response = await app.get('/account', { bearer: tokens.accessToken });

    show('GET /account (Bearer access token from AUTH)', response);
    expectStatus(response, 200);
    expect(response.json).toEqual({ userId: user.id, credential: 'bearer' });
  });

  it('lets the cookie decide when the route tries it first, whatever the Authorization header says', async () => {
    const response = await app.get('/account', {
      headers: { ...cookie(session), authorization: 'Bearer not.a.token' },
    });

    show("GET /account (accept ['session', 'bearer']; good cookie + bad Bearer token)", response);
    expectStatus(response, 200);
    expect(response.json).toEqual({ userId: user.id, credential: 'session-cookie' });
  });

  it('refuses a bad Bearer token beside a good cookie when the route tries the token first: a rejection does not fall through', async () => {
    const response = await app.get('/account/token-first', {
      headers: { ...cookie(session), authorization: 'Bearer not.a.token' },
    });

    show(
      "GET /account/token-first (accept ['bearer', 'session']; good cookie + bad Bearer token)",
      response,
    );
    expectProblem(response, 401, 'invalid_token');
    expectBearerChallenge(response, true);
  });

  it("answers 401 to a Bearer token on a route that accepts the session only: every answer was 'not mine'", async () => {
    const response = await app.get('/session-only', { bearer: tokens.accessToken });

    show('GET /session-only (Bearer token)', response);
    expectProblem(response, 401, 'unauthenticated');
  });

  describe('with a DPoP-bound access token (RFC 9449)', () => {
    let key: Awaited<ReturnType<typeof generateDpopKey>>;
    let bound: TokenLogin;

    beforeAll(async () => {
      key = await generateDpopKey();
      bound = await loginWithDpop(auth, key, user);
    });

    it('answers 200 to the token with a proof by its key', async () => {
      const response = await dpopRequest(app, key, {
        method: 'GET',
        path: '/account/any',
        accessToken: bound.accessToken,
      });

      show("GET /account/any (accept ['dpop', 'bearer', 'session']; DPoP token + proof)", response);
      expectStatus(response, 200);
      expect(response.json).toEqual({ userId: user.id, credential: 'dpop' });
    });

    it('refuses the bound token sent as a Bearer token (RFC 9449 §7.2)', async () => {
      const response = await app.get('/account/any', { bearer: bound.accessToken });

      show('GET /account/any (the DPoP-bound token as Bearer)', response);
      expectProblem(response, 401, 'invalid_token');
    });

    it('refuses the bound token with a proof by another key', async () => {
      const response = await dpopRequest(app, await generateDpopKey(), {
        method: 'GET',
        path: '/account/any',
        accessToken: bound.accessToken,
      });

      show('GET /account/any (DPoP token + a proof by another key)', response);
      expectProblem(response, 401, 'invalid_dpop_proof');
    });
  });

  it.each([
    ['signed by another key under the real kid', true],
    ['signed by another key under a kid AUTH never published', false],
  ])('answers 401 invalid_token to a forged token %s', async (label, sameKid) => {
    const real = decodeJwt(tokens.accessToken);
    const forger = generateEs256Key(sameKid ? String(real.header['kid']) : 'forged-key');
    const forged = signEs256Jwt({ ...real.payload, exp: epochSeconds() + 300 }, forger, {
      typ: 'at+jwt',
    });

    const response = await app.get('/account', { bearer: forged });

    show(`GET /account (forged token, ${label})`, response);
    expectProblem(response, 401, 'invalid_token');
  });

  it(`refuses the session cookie within ${REVOCATION_BOUND_MS} ms of the logout`, async () => {
    const logout = await auth.delete('/auth/session', {
      jar: session.jar,
      headers: csrfHeaders(sut.auth.origin, session.csrfToken),
    });
    expectStatus(logout, 204);

    const { elapsedMs, response } = await timeUntilRefused(() =>
      app.get('/account', { headers: cookie(session) }),
    );

    say(`DELETE /auth/session (logout at AUTH) → ${logout.status}`);
    show(`GET /account (the logged-out cookie, ${elapsedMs} ms after the logout)`, response);
    expectProblem(response, 401, 'unauthenticated');
    expect(elapsedMs).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
  });

  it(`refuses the access token within ${REVOCATION_BOUND_MS} ms of its family's revocation`, async () => {
    const revoke = await auth.post('/auth/token/revoke', { refresh_token: tokens.refreshToken });
    expectStatus(revoke, 204);

    const { elapsedMs, response } = await timeUntilRefused(() =>
      app.get('/account', { bearer: tokens.accessToken }),
    );

    say(`POST /auth/token/revoke (the token's family, at AUTH) → ${revoke.status}`);
    show(`GET /account (the revoked family's access token, ${elapsedMs} ms after)`, response);
    expectProblem(response, 401, 'invalid_token');
    expect(elapsedMs).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
  });
});
