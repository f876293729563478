import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import {
  csrfHeaders,
  decodeJwt,
  deleteRedisKeys,
  epochSeconds,
  expectProblem,
  expectStatus,
  http,
  loginWithSession,
  loginWithToken,
  randomHex,
  readTestEnvironment,
  registerUser,
  signUp,
  startSystem,
} from '@svt/shared/testing';
import type {
  AuthMeBody,
  CartBody,
  HttpClient,
  HttpResponse,
  RequestOptions,
  Service,
  SignedUpUser,
  SystemUnderTest,
} from '@svt/shared/testing';
import { labDir, recordClaim, resetClaims } from './lab-record';

/**
 * The session-versus-token argument, one claim per test, measured against the
 * running services through the gateway the way a client meets them. Each test
 * records what it measured in tmp/lab/claims.jsonl after its assertions pass;
 * `tools/lab-report.mjs` turns the rows into the lab report.
 */

let sut: SystemUnderTest;
let shop: HttpClient;
let cart: HttpClient;

beforeAll(async () => {
  // A claim whose test fails this time must not keep last run's "holds".
  resetClaims();
  sut = await startSystem();
  shop = http(sut.shop);
  cart = http(sut.cart);
  writeFileSync(join(labDir(), 'backend.txt'), `${sut.backend}\n`);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

/** Register and log in both ways through the gateway, as the demo page does. */
function signUpAtShop(): Promise<SignedUpUser> {
  return signUp(shop, '/api/auth');
}

/** Seconds until the access token's `exp`, from now. */
function secondsLeft(accessToken: string): number {
  return Number(decodeJwt(accessToken).payload['exp']) - epochSeconds();
}

/** Bytes of a request header line as it goes on the wire, without the CRLF. */
function headerLineBytes(name: string, value: string): number {
  return Buffer.byteLength(`${name}: ${value}`, 'latin1');
}

/** Every session and revocation the services share, gone, as when Redis is flushed. */
async function wipeSessionStore(): Promise<void> {
  if (sut.backend === 'embedded') {
    const db = new Database(join(sut.dataDir, 'sessions.sqlite'));
    try {
      db.pragma('busy_timeout = 5000');
      db.exec('DELETE FROM sessions; DELETE FROM denied_sids;');
    } finally {
      db.close();
    }
    return;
  }
  const { redisUrl } = readTestEnvironment();
  if (!redisUrl) throw new Error('e2e: the postgres+redis backend runs without REDIS_URL');
  await deleteRedisKeys(redisUrl, sut.redisKeyPrefix);
}

describe('HTTP is stateless; state via session or token', () => {
  it('keeps a cart between two requests for a cookie and for a Bearer token alike', async () => {
    const { session, tokens } = await signUpAtShop();
    const credentials: [string, RequestOptions][] = [
      ['cookie', { jar: session.jar, headers: csrfHeaders(sut.shop.origin, session.csrfToken) }],
      ['Bearer', { bearer: tokens.accessToken }],
    ];
    const seen: string[] = [];

    for (const [name, credential] of credentials) {
      const sku = `sku-${name.toLowerCase()}-${randomHex(3)}`;
      expectStatus(await shop.put(`/api/cart/items/${sku}`, { quantity: 3 }, credential), 200);

      const later = await shop.get<CartBody>('/api/cart', credential);

      expectStatus(later, 200);
      expect(later.json?.items).toContainEqual({ sku, quantity: 3 });
      seen.push(`${name}: PUT ${sku} ×3 → 200, then GET → 200 with ${sku} ×3`);
    }
    recordClaim({
      claim: 'HTTP is stateless; state via session or token',
      measured: `two requests per credential, through the gateway: ${seen.join('; ')}`,
      result: 'holds',
    });
  });
});

describe('A session lives on the server, a JWT on the client', () => {
  it('refuses the cookie once the session store is wiped, and still accepts the access token until its exp', async () => {
    const { session, tokens } = await signUpAtShop();
    expectStatus(await shop.get('/api/me', { jar: session.jar }), 200);
    expectStatus(await shop.get('/api/me', { bearer: tokens.accessToken }), 200);

    await wipeSessionStore();

    expectProblem(await shop.get('/api/me', { jar: session.jar }), 401, 'unauthenticated');
    expectStatus(await shop.get('/api/me', { bearer: tokens.accessToken }), 200);
    expectStatus(await shop.get('/api/cart', { bearer: tokens.accessToken }), 200);
    expectStatus(await cart.get('/cart', { bearer: tokens.accessToken }), 200);
    const left = secondsLeft(tokens.accessToken);
    expect(left).toBeGreaterThan(0);
    recordClaim({
      claim: 'A session lives on the server, a JWT on the client',
      measured: `after wiping the ${sut.backend} session store: cookie 401 at the gateway; Bearer 200 at the gateway and the cart (valid for ${left} more s until exp)`,
      result: 'holds',
    });
  });
});

describe("In-memory sessions don't scale", () => {
  let memoryA: Service;
  let memoryB: Service;
  let sharedReplica: Service;

  beforeAll(async () => {
    [memoryA, memoryB, sharedReplica] = await Promise.all([
      sut.startReplica('auth', { SESSION_STORE: 'memory' }),
      sut.startReplica('auth', { SESSION_STORE: 'memory' }),
      sut.startReplica('auth'),
    ]);
  }, 60_000);

  /** A session made on `first`, then `GET /auth/session` on each; and `GET /auth/me` with a token from `first` on `second`. */
  async function acrossReplicas(first: Service, second: Service) {
    const onFirst = http(first);
    const onSecond = http(second);
    const user = await registerUser(onFirst);
    const { jar } = await loginWithSession(onFirst, user);
    const { accessToken } = await loginWithToken(onFirst, user);
    return {
      sessionOnFirst: await onFirst.get('/auth/session', { jar }),
      sessionOnSecond: await onSecond.get('/auth/session', { jar }),
      bearerOnFirst: await onFirst.get<AuthMeBody>('/auth/me', { bearer: accessToken }),
      bearerOnSecond: await onSecond.get<AuthMeBody>('/auth/me', { bearer: accessToken }),
    };
  }

  it('loses a session on the replica that did not make it when each keeps sessions in memory, and the shared store does not', async () => {
    const memory = await acrossReplicas(memoryA, memoryB);
    const shared = await acrossReplicas(sut.auth, sharedReplica);

    expectStatus(memory.sessionOnFirst, 200);
    expectProblem(memory.sessionOnSecond, 401, 'unauthenticated');
    expectStatus(shared.sessionOnFirst, 200);
    expectStatus(shared.sessionOnSecond, 200);
    for (const { bearerOnFirst, bearerOnSecond } of [memory, shared]) {
      expectStatus(bearerOnFirst, 200);
      expectStatus(bearerOnSecond, 200);
      expect(bearerOnSecond.json?.method).toBe('bearer');
    }
    recordClaim({
      claim: "In-memory sessions don't scale",
      measured: `memory store: session from replica A → ${memory.sessionOnFirst.status} on A, ${memory.sessionOnSecond.status} on B; shared store: ${shared.sessionOnSecond.status} on B; Bearer: ${memory.bearerOnSecond.status} on both (memory), ${shared.bearerOnSecond.status} on both (shared)`,
      result: 'holds',
    });
  });
});

describe('A JWT is much bigger', () => {
  interface ArrivedCredentials {
    cookie: { names: string[]; headerBytes: number } | null;
    authorization: { scheme: string; headerBytes: number } | null;
  }

  it('costs at least five times the bytes of a session cookie in every request', async () => {
    const { session, tokens } = await signUpAtShop();
    const cookieSent = headerLineBytes('Cookie', session.jar.header('/api/credentials'));
    const bearerSent = headerLineBytes('Authorization', `Bearer ${tokens.accessToken}`);

    const byCookie = await shop.get<ArrivedCredentials>('/api/credentials', { jar: session.jar });
    const byBearer = await shop.get<ArrivedCredentials>('/api/credentials', {
      bearer: tokens.accessToken,
    });

    expectStatus(byCookie, 200);
    expectStatus(byBearer, 200);
    expect(byCookie.json?.cookie?.names).toEqual(session.jar.names('/api/credentials'));
    expect(byCookie.json?.authorization).toBeNull();
    expect(byBearer.json?.authorization?.scheme).toMatch(/^bearer$/i);
    expect(byBearer.json?.cookie).toBeNull();
    const cookieArrived = byCookie.json?.cookie?.headerBytes ?? 0;
    const bearerArrived = byBearer.json?.authorization?.headerBytes ?? 0;
    // Nothing on the way adds to or trims the headers: what arrives is what the client sent.
    expect(cookieArrived).toBe(cookieSent);
    expect(bearerArrived).toBe(bearerSent);
    expect(bearerSent).toBeGreaterThanOrEqual(5 * cookieSent);
    recordClaim({
      claim: 'A JWT is much bigger',
      measured: `Cookie header ${cookieSent} B, Authorization header ${bearerSent} B (${(bearerSent / cookieSent).toFixed(1)}×), the same as sent and as arrived at the gateway (GET /api/credentials)`,
      result: 'holds',
    });
  });
});

describe('Keep personal data out of the JWT', () => {
  it('carries only the registered claims, a session id and how the user authenticated: no email, decoded or raw', async () => {
    const { user, tokens } = await signUpAtShop();
    const token = tokens.accessToken;

    const { header, payload } = decodeJwt(token);

    expect(Object.keys(header).sort()).toEqual(['alg', 'kid', 'typ']);
    expect(Object.keys(payload).sort()).toEqual([
      'acr',
      'amr',
      'aud',
      'auth_time',
      'exp',
      'iat',
      'iss',
      'jti',
      'sid',
      'sub',
    ]);
    const [localPart] = user.email.split('@');
    const readable = [
      token,
      JSON.stringify(header),
      JSON.stringify(payload),
      ...token.split('.').map((segment) => Buffer.from(segment, 'base64url').toString('latin1')),
    ];
    for (const text of readable) {
      expect(text.toLowerCase()).not.toContain(user.email.toLowerCase());
      expect(text.toLowerCase()).not.toContain(localPart.toLowerCase());
    }
    recordClaim({
      claim: 'Keep personal data out of the JWT',
      measured: `header {${Object.keys(header).join(', ')}}, payload {${Object.keys(payload).join(', ')}}, no email or its local part; ${Buffer.byteLength(token)} B`,
      result: 'holds',
    });
  });
});

describe('Logout', () => {
  /** Requests the gateway answered 200 before its first refusal, and when that came (2 s at most). */
  async function requestsUntilRefused(
    send: () => Promise<HttpResponse>,
    since: number,
  ): Promise<{ succeeded: number; refusedAfterMs: number; refusal: HttpResponse | undefined }> {
    let succeeded = 0;
    while (performance.now() - since < 2_000) {
      const response = await send();
      if (response.status !== 200) {
        return { succeeded, refusedAfterMs: performance.now() - since, refusal: response };
      }
      succeeded += 1;
    }
    return { succeeded, refusedAfterMs: Number.NaN, refusal: undefined };
  }

  it('kills the cookie at the next request, and the access token within a second, long before its exp', async () => {
    const { session, tokens } = await signUpAtShop();
    const oldJar = session.jar.clone();
    expectStatus(await shop.get('/api/me', { jar: oldJar }), 200);
    expectStatus(await shop.get('/api/me', { bearer: tokens.accessToken }), 200);

    const sessionLogout = await shop.delete('/api/auth/session', {
      jar: session.jar,
      headers: csrfHeaders(sut.shop.origin, session.csrfToken),
    });
    const loggedOutAt = performance.now();
    expectStatus(sessionLogout, 204);
    const cookie = await requestsUntilRefused(
      () => shop.get('/api/me', { jar: oldJar }),
      loggedOutAt,
    );

    const revoke = await shop.post('/api/auth/token/revoke', {
      refresh_token: tokens.refreshToken,
    });
    const revokedAt = performance.now();
    expectStatus(revoke, 204);
    const bearer = await requestsUntilRefused(
      () => shop.get('/api/me', { bearer: tokens.accessToken }),
      revokedAt,
    );
    const left = secondsLeft(tokens.accessToken);

    expect(cookie.succeeded).toBe(0);
    expect(cookie.refusal?.status).toBe(401);
    // AUTH revoked it; the gateway hears of it by a push (docs/authentication.md: revocations
    // reach every process within a second).
    expect(bearer.refusal?.status).toBe(401);
    expect(bearer.refusedAfterMs).toBeLessThan(1_000);
    expectProblem(
      await shop.get('/api/cart', { bearer: tokens.accessToken }),
      401,
      'invalid_token',
    );
    const atCart = await requestsUntilRefused(
      () => cart.get('/cart', { bearer: tokens.accessToken }),
      revokedAt,
    );
    expect(atCart.refusedAfterMs).toBeLessThan(1_000);
    expectProblem(atCart.refusal as HttpResponse, 401, 'invalid_token');
    expect(left).toBeGreaterThan(tokens.expiresIn / 2);
    recordClaim({
      claim: 'Logout',
      measured: `cookie: dead at the next request (${cookie.succeeded} requests after the 204); access token: refused at the gateway ${Math.round(bearer.refusedAfterMs)} ms after logout (${bearer.succeeded} requests answered meanwhile), at the cart ${Math.round(atCart.refusedAfterMs)} ms after, ${left} s before its exp`,
      result: 'holds',
    });
  });
});
