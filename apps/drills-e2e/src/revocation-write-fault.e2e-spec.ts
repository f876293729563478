import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createClient } from 'redis';
import {
  csrfHeaders,
  decodeJwt,
  epochSeconds,
  expectProblem,
  expectStatus,
  http,
  pollUntil,
  readTestEnvironment,
  resolveBackend,
  signEs256Jwt,
  signUp,
  startSystem,
} from '@svt/shared/testing';
import type {
  HttpClient,
  HttpResponse,
  JwksBody,
  SessionListingBody,
  SignedUpUser,
  SystemUnderTest,
  TokenBody,
} from '@svt/shared/testing';

/**
 * A revocation whose denial cannot be written. Ending a session or token
 * family is two writes: the denial that refuses its access and identity
 * tokens at every verifier, and the end of the session or family itself. The
 * drill makes the denial write fail once, while everything else works: the
 * client gets 503, retries once the store takes writes again, and then every
 * token of what it ended must be refused everywhere within a second. (The
 * TCP fault proxy cannot do this: sessions and denials share one Redis
 * connection, so cutting it would fail the session lookup before any write.)
 *
 * The fault: on Redis, the services connect as an ACL user of the drill's
 * own, which is made unable to write the denylist key; on the embedded
 * default, a trigger on the SQLite file refuses inserts into the denials.
 */

const backend = resolveBackend(readTestEnvironment());

/**
 * How soon a pushed revocation reaches the gateway and CART (docs/authentication.md, "Revoking
 * access tokens").
 */
const REFUSED_WITHIN = { timeoutMs: 1_000, intervalMs: 50 };

/** Makes the denylist refuse writes, and take them again. */
interface DenialFault {
  /** REDIS_URL as the services get it. */
  readonly route?: (url: string) => string;
  attach(sut: SystemUnderTest): Promise<void>;
  refuseWrites(): Promise<void>;
  takeWrites(): Promise<void>;
  dispose(): Promise<void>;
}

/** An ACL user whose key patterns leave the denylist read-only while refusing. */
async function redisDenialFault(redisUrl: string): Promise<DenialFault> {
  const admin = createClient({ url: redisUrl });
  await admin.connect();
  const user = `svt-drill-${randomUUID()}`;
  const password = randomUUID();
  const setUser = (...rules: string[]) => admin.sendCommand(['ACL', 'SETUSER', user, ...rules]);
  await setUser('on', `>${password}`, '~*', '&*', '+@all');
  let prefix = '';
  return {
    route: (url) => {
      const routed = new URL(url);
      routed.username = user;
      routed.password = password;
      return routed.href;
    },
    attach: async (sut) => {
      prefix = sut.redisKeyPrefix;
    },
    // Every key family of the services but the denylist, which stays readable.
    refuseWrites: async () => {
      await setUser('resetkeys', ...['s', 'u', 'r', 'b'].map((k) => `~${prefix}${k}*`));
      await setUser(`%R~${prefix}denylist`);
    },
    takeWrites: async () => {
      await setUser('resetkeys', '~*');
    },
    dispose: async () => {
      await admin.sendCommand(['ACL', 'DELUSER', user]);
      await admin.close();
    },
  };
}

/** A trigger in the shared SQLite file that aborts every write of a denial. */
function sqliteDenialFault(): DenialFault {
  let db: Database.Database | undefined;
  const triggers = ['INSERT', 'UPDATE'].map(
    (event) => `drill_refuse_denial_${event.toLowerCase()}`,
  );
  return {
    attach: async (sut) => {
      db = new Database(join(sut.dataDir, 'sessions.sqlite'));
      db.pragma('busy_timeout = 5000');
    },
    refuseWrites: async () => {
      for (const [i, event] of ['INSERT', 'UPDATE'].entries()) {
        db?.exec(
          `CREATE TRIGGER ${triggers[i]} BEFORE ${event} ON denied_sids
           BEGIN SELECT RAISE(ABORT, 'drill: denials refused'); END`,
        );
      }
    },
    takeWrites: async () => {
      for (const trigger of triggers) db?.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
    },
    dispose: async () => {
      db?.close();
    },
  };
}

describe(`a revocation whose denial cannot be written (${backend})`, () => {
  let fault: DenialFault;
  let sut: SystemUnderTest;
  let shop: HttpClient;
  let auth: HttpClient;
  let cart: HttpClient;

  beforeAll(async () => {
    const environment = readTestEnvironment();
    fault =
      backend === 'postgres+redis' && environment.redisUrl
        ? await redisDenialFault(environment.redisUrl)
        : sqliteDenialFault();
    sut = await startSystem({
      // Any replay of a spent refresh token is reuse, not a retry within a grace window.
      env: { auth: { REFRESH_TOKEN_REUSE_GRACE: '0' } },
      route: fault.route ? { redis: fault.route } : undefined,
    });
    await fault.attach(sut);
    shop = http(sut.shop);
    auth = http(sut.auth);
    cart = http(sut.cart);
  }, 120_000);

  afterEach(async () => {
    await fault?.takeWrites();
  });

  afterAll(async () => {
    await sut?.stop();
    await fault?.dispose();
  });

  /**
   * Runs `revoke` while denials are refused (it must answer 503, nothing
   * else), then again once they are taken, and returns the second answer.
   */
  async function revokeThroughTheFault<T>(
    revoke: () => Promise<HttpResponse<T>>,
  ): Promise<HttpResponse<T>> {
    await fault.refuseWrites();
    expectProblem(await revoke(), 503, 'store_unavailable');
    await fault.takeWrites();
    return revoke();
  }

  /** Asks until `probe` is refused, for as long as a pushed revocation may take. */
  const refusedSoon = (probe: () => Promise<HttpResponse<unknown>>) =>
    pollUntil(probe, (response) => response.status === 401, REFUSED_WITHIN);

  /** The access token refused at AUTH, the gateway and CART within a second. */
  async function expectRefusedEverywhere(accessToken: string): Promise<void> {
    for (const [client, path] of [
      [auth, '/auth/me'],
      [shop, '/api/me'],
      [cart, '/cart'],
    ] as const) {
      expectProblem(
        await refusedSoon(() => client.get(path, { bearer: accessToken })),
        401,
        'invalid_token',
      );
    }
  }

  /** An identity token for `sid` as the gateway would mint it for CART, signed with its key. */
  async function identityTokenFor(user: SignedUpUser, sid: string): Promise<string> {
    const pem = await readFile(join(sut.dataDir, 'gateway-identity-key.pem'), 'utf8');
    const jwks = await shop.get<JwksBody>('/.well-known/jwks.json');
    const now = epochSeconds();
    return signEs256Jwt(
      {
        iss: sut.shop.origin,
        aud: sut.cart.origin,
        sub: user.user.id,
        sid,
        amr: ['session'],
        jti: randomUUID(),
        iat: now,
        exp: now + 60,
      },
      pem,
      { typ: 'identity+jwt', kid: String(jwks.json?.keys[0]?.['kid']) },
    );
  }

  async function sessionHandle(user: SignedUpUser): Promise<string> {
    const listing = await shop.get<SessionListingBody[]>('/api/auth/sessions', {
      jar: user.session.jar,
    });
    expectStatus(listing, 200);
    return listing.json?.find((row) => row.current)?.id ?? '';
  }

  it('a cookie logout retried ends the session, and the identity tokens minted for it die at CART', async () => {
    const user = await signUp(shop, '/api/auth');
    const identity = await identityTokenFor(user, await sessionHandle(user));
    expectStatus(await cart.get('/cart', { headers: { 'x-identity-token': identity } }), 200);

    const retried = await revokeThroughTheFault(() =>
      shop.delete('/api/auth/session', {
        jar: user.session.jar,
        headers: csrfHeaders(sut.shop.origin, user.session.csrfToken),
      }),
    );

    expectStatus(retried, 204);
    expectProblem(
      await refusedSoon(() => cart.get('/cart', { headers: { 'x-identity-token': identity } })),
      401,
      'invalid_token',
    );
  });

  it.each<[string, string, (user: SignedUpUser) => string]>([
    [
      'DELETE /auth/sessions/:id',
      'DELETE',
      (user) => `/api/auth/sessions/${String(decodeJwt(user.tokens.accessToken).payload['sid'])}`,
    ],
    ['POST /auth/logout-all', 'POST', () => '/api/auth/logout-all'],
  ])(
    '%s, retried, ends the token family, and its access token dies everywhere',
    async (_, method, pathOf) => {
      const user = await signUp(shop, '/api/auth');
      const revoke = () =>
        shop.request({
          method,
          path: pathOf(user),
          jar: user.session.jar,
          headers: csrfHeaders(sut.shop.origin, user.session.csrfToken),
        });

      const retried = await revokeThroughTheFault(revoke);

      expectStatus(retried, 204);
      await expectRefusedEverywhere(user.tokens.accessToken);
    },
  );

  it('a refresh reuse retried ends the family, and its access tokens die everywhere', async () => {
    const user = await signUp(shop, '/api/auth');
    const rotated = await auth.post<TokenBody>('/auth/token/refresh', {
      refresh_token: user.tokens.refreshToken,
    });
    expectStatus(rotated, 200);
    const current = rotated.json?.access_token ?? '';

    const replayed = await revokeThroughTheFault(() =>
      auth.post('/auth/token/refresh', { refresh_token: user.tokens.refreshToken }),
    );

    expectProblem(replayed, 401, 'invalid_refresh_token');
    await expectRefusedEverywhere(current);
  });

  it('a password change whose sign-out failed finishes it by itself once the denylist takes writes', async () => {
    const user = await signUp(shop, '/api/auth');
    await fault.refuseWrites();

    const changed = await auth.post(
      '/auth/password',
      { currentPassword: user.user.password, newPassword: `new-${user.user.password}` },
      { bearer: user.tokens.accessToken },
    );
    expectProblem(changed, 503, 'store_unavailable');
    expect((changed.json as { detail?: string } | undefined)?.detail).toMatch(
      /password was changed/,
    );
    await fault.takeWrites();

    // The retry runs every 500 ms on its own; then the push takes its second.
    const started = Date.now();
    expectProblem(
      await pollUntil(
        () => shop.get('/api/me', { bearer: user.tokens.accessToken }),
        (response) => response.status === 401,
        { timeoutMs: 2_000, intervalMs: 50 },
      ),
      401,
      'invalid_token',
    );
    process.stderr.write(
      `[drill] pending sign-out of a password change: old token refused ${Date.now() - started} ms after the denylist took writes again\n`,
    );
    await expectRefusedEverywhere(user.tokens.accessToken);
    expectProblem(await shop.get('/api/me', { jar: user.session.jar }), 401, 'unauthenticated');
  });
});
