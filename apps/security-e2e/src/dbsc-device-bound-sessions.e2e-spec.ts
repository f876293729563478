import { randomBytes } from 'node:crypto';
import {
  BOUND_COOKIE,
  CookieJar,
  DbscSession,
  REGISTRATION_HEADER,
  RESPONSE_HEADER,
  SESSION_COOKIE,
  SESSION_ID_HEADER,
  challengeOf,
  csrfHeaders,
  dbscPrivateJwk,
  dbscProof,
  expectProblem,
  expectStatus,
  generateDbscKey,
  http,
  isClearingCookie,
  loginWithDbsc,
  loginWithSession,
  registerUser,
  registrationOffer,
  resolvePath,
  sfString,
  startSystem,
} from '@svt/shared/testing';
import type {
  AuthMeBody,
  DbscKey,
  DbscRequestOptions,
  GatewayMeBody,
  HttpClient,
  HttpResponse,
  RegisteredUser,
  SessionBody,
  SessionListingBody,
  SessionLogin,
  StartSystemOptions,
  SystemUnderTest,
} from '@svt/shared/testing';
import { sleep } from './support';

/**
 * Device Bound Session Credentials (W3C DBSC draft) for the cookie session,
 * as a browser speaks it to SHOP: a login offers registration, the browser
 * registers a key with a signed challenge and gets a short-lived bound
 * cookie, which it refreshes with proofs of that key. A copied cookie jar is
 * thereby worth a minute at most. Every forged proof is refused, a refused
 * registration leaves the session as it was, and a refresh signed by another
 * key ends the session.
 */

/** Through the gateway, as a browser on SHOP reaches AUTH. */
const BASE = '/api/auth';
/** Base64url of 32 random bytes: the form of every challenge and bound cookie value. */
const RANDOM_43 = /^[A-Za-z0-9_-]{43}$/;
/** AUTH's default `DBSC_BOUND_COOKIE_TTL`. */
const DEFAULT_BOUND_TTL_SECONDS = 300;

let shop: HttpClient;
let auth: HttpClient;
let sut: SystemUnderTest;
/**
 * The bound cookie's name as the running AUTH announces it in the registration
 * instructions, which is how a browser learns it; one test holds it to the
 * contract's `BOUND_COOKIE`, the others follow the announcement.
 */
let boundCookieName: string;

async function startDbscSystem(env?: StartSystemOptions['env']): Promise<RegisteredUser> {
  sut = await startSystem({ env });
  shop = http(sut.shop);
  auth = http(sut.auth);
  const user = await registerUser(auth);
  if (env?.auth?.['DBSC_ENABLED'] !== 'false') {
    const { dbsc } = await loginWithDbsc(shop, user, BASE);
    boundCookieName = dbsc.cookieName ?? BOUND_COOKIE;
  }
  return user;
}

function me(jar: CookieJar, client: HttpClient = shop): Promise<HttpResponse<GatewayMeBody>> {
  return client.get<GatewayMeBody>(client === shop ? '/api/me' : '/auth/me', { jar });
}

/** What a browser holds for the session, minus the bound cookie. */
function sessionCookieOnly(jar: CookieJar): CookieJar {
  const value = jar.get(SESSION_COOKIE);
  if (value === undefined) throw new Error('e2e set-up: the jar holds no session cookie');
  return new CookieJar().set(SESSION_COOKIE, value);
}

/** A jar with exactly these two cookie values, as an attacker assembles it. */
function jarWith(sessionId: string, boundCookie: string): CookieJar {
  return new CookieJar().set(SESSION_COOKIE, sessionId).set(boundCookieName, boundCookie);
}

function boundCookieOf(session: DbscSession): string {
  const value = session.boundCookie();
  if (value === undefined) throw new Error('e2e set-up: the session has no bound cookie');
  return value;
}

/** A session login through SHOP, its offer taken but not yet registered. */
async function offeredSession(
  user: RegisteredUser,
  key?: DbscKey,
): Promise<{ login: SessionLogin; dbsc: DbscSession }> {
  const login = await loginWithSession(shop, user, BASE);
  const dbsc = new DbscSession(
    shop,
    login.jar,
    key ?? (await generateDbscKey()),
    registrationOffer(login.response),
  );
  return { login, dbsc };
}

/** The session was not bound: no bound cookie, and the session cookie alone still works. */
async function expectStillPlain(login: SessionLogin): Promise<void> {
  expect(login.jar.has(boundCookieName)).toBe(false);
  const response = await me(sessionCookieOnly(login.jar));
  expectStatus(response, 200);
  expect(response.json?.deviceBound).toBe(false);
}

/** No bound cookie value was handed out (clearing one is allowed). */
function expectNoBoundCookieIssued(response: HttpResponse<unknown>): void {
  const issued = response.cookies.filter(
    (cookie) => cookie.name === boundCookieName && !isClearingCookie(cookie),
  );
  expect(issued).toEqual([]);
}

/**
 * A refused registration: no bound cookie, the session as plain as before,
 * and 401 `invalid_session_proof`, or 400 `validation_failed` when no proof
 * was sent at all (checked last, so that a wrong status still shows whether
 * the binding itself was refused).
 */
async function expectRegistrationRefused(
  response: HttpResponse<unknown>,
  login: SessionLogin,
  refusal: readonly [number, string] = [401, 'invalid_session_proof'],
): Promise<void> {
  expectNoBoundCookieIssued(response);
  await expectStillPlain(login);
  expectProblem(response, ...refusal);
}

describe('with DBSC enabled (the default)', () => {
  let alice: RegisteredUser;
  let malloryKey: DbscKey;
  let rsaKey: DbscKey;

  beforeAll(async () => {
    alice = await startDbscSystem();
    [malloryKey, rsaKey] = await Promise.all([generateDbscKey(), generateDbscKey('RS256')]);
  }, 120_000);

  afterAll(async () => {
    await sut?.stop();
  });

  describe('a browser that registers and refreshes', () => {
    it('is offered registration at login: ES256, the registration path relative to the login, a fresh challenge', async () => {
      const login = await loginWithSession(shop, alice, BASE);

      const offer = registrationOffer(login.response);

      expect(offer).toEqual({
        algorithms: ['ES256'],
        path: '/api/auth/session/dbsc/registration',
        challenge: expect.stringMatching(RANDOM_43),
      });
    });

    it('registers: 200 instructions, a bound cookie, and the challenge of its first refresh', async () => {
      const { dbsc } = await offeredSession(alice);

      const response = await dbsc.register();

      expectStatus(response, 200);
      expect(response.headers['content-type']).toMatch(/^application\/json\b/);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.json).toEqual({
        session_identifier: expect.any(String),
        refresh_url: 'refresh',
        scope: { include_site: false, scope_specification: [] },
        credentials: [
          {
            type: 'cookie',
            name: boundCookieName,
            attributes: 'Path=/; Secure; HttpOnly; SameSite=Strict',
          },
        ],
        allowed_refresh_initiators: [],
      });
      const bound = response.cookies.filter((cookie) => cookie.name === boundCookieName);
      expect(bound).toEqual([
        expect.objectContaining({
          value: expect.stringMatching(RANDOM_43),
          maxAge: expect.any(Number),
          path: '/',
          httpOnly: true,
          secure: true,
          sameSite: expect.stringMatching(/^strict$/i),
        }),
      ]);
      expect(bound[0].domain).toBeUndefined();
      expect(challengeOf(response)).toEqual({
        challenge: expect.stringMatching(RANDOM_43),
        id: response.json?.session_identifier,
      });
      expect(challengeOf(response)?.challenge).not.toBe(dbsc.offer.challenge);
      expect(dbsc.refreshPath).toBe('/api/auth/session/dbsc/refresh');
    });

    it(`names the bound cookie ${BOUND_COOKIE} in the instructions and in Set-Cookie`, async () => {
      const { registration } = await loginWithDbsc(shop, alice, BASE);

      expect(registration.json?.credentials.map(({ name }) => name)).toEqual([BOUND_COOKIE]);
      expect(registration.cookies.map(({ name }) => name)).toContain(BOUND_COOKIE);
    });

    it(`sets the bound cookie to live the default DBSC_BOUND_COOKIE_TTL, ${DEFAULT_BOUND_TTL_SECONDS} s`, async () => {
      const { registration } = await loginWithDbsc(shop, alice, BASE);

      expect(registration.cookies.find((cookie) => cookie.name === boundCookieName)?.maxAge).toBe(
        DEFAULT_BOUND_TTL_SECONDS,
      );
    });

    it('names in session_identifier the handle that the session listing shows as current', async () => {
      const { login, dbsc } = await loginWithDbsc(shop, alice, BASE);

      const listing = await shop.get<SessionListingBody[]>(`${BASE}/sessions`, {
        jar: login.jar,
      });

      expectStatus(listing, 200);
      expect(listing.json?.find((row) => row.current)?.id).toBe(dbsc.id);
    });

    it('is accepted with both cookies, and says so: deviceBound true at the gateway and at AUTH', async () => {
      const { login } = await loginWithDbsc(shop, alice, BASE);

      const atGateway = await me(login.jar);
      const atAuth = await auth.get<AuthMeBody>('/auth/me', { jar: login.jar });
      const session = await shop.get<SessionBody & { deviceBound: boolean }>(`${BASE}/session`, {
        jar: login.jar,
      });

      expectStatus(atGateway, 200);
      expect(atGateway.json).toEqual(
        expect.objectContaining({ userId: alice.id, method: 'session', deviceBound: true }),
      );
      expectStatus(atAuth, 200);
      expectStatus(session, 200);
      expect(session.json?.deviceBound).toBe(true);
    });

    it.each([
      ['the gateway GET /api/me', () => shop, '/api/me'],
      ['the gateway GET /api/cart', () => shop, '/api/cart'],
      ['AUTH GET /auth/me', () => auth, '/auth/me'],
      ['AUTH GET /auth/session', () => auth, '/auth/session'],
      ['AUTH through the gateway GET /api/auth/sessions', () => shop, '/api/auth/sessions'],
    ])(
      'refuses the session cookie alone at %s: 401 bound_cookie_required, challenged as other 401s',
      async (_, client, path) => {
        const { login } = await loginWithDbsc(shop, alice, BASE);
        const anonymous = await client().get(path);

        const response = await client().get(path, { jar: sessionCookieOnly(login.jar) });

        expectProblem(response, 401, 'bound_cookie_required');
        expect(response.headers['www-authenticate']).toBeDefined();
        expect(response.headers['www-authenticate']).toBe(anonymous.headers['www-authenticate']);
      },
    );

    it('refreshes with the challenge of the registration: 200, empty, a new bound cookie that works and the next challenge', async () => {
      const { login, dbsc } = await loginWithDbsc(shop, alice, BASE);
      const firstCookie = boundCookieOf(dbsc);
      const firstChallenge = dbsc.challenge;

      const response = await dbsc.refreshOnce();

      expectStatus(response, 200);
      expect(response.text).toBe('');
      const next = boundCookieOf(dbsc);
      expect(next).toMatch(RANDOM_43);
      expect(next).not.toBe(firstCookie);
      expect(challengeOf(response)).toEqual({
        challenge: expect.stringMatching(RANDOM_43),
        id: dbsc.id,
      });
      expect(dbsc.challenge).not.toBe(firstChallenge);
      const withNew = await me(jarWith(login.sessionId, next));
      expectStatus(withNew, 200);
      expect(withNew.json?.deviceBound).toBe(true);
    });

    it('challenges a refresh without proof (403 session_proof_required), then refreshes once the challenge is signed', async () => {
      const { login, dbsc } = await loginWithDbsc(shop, alice, BASE);
      const before = boundCookieOf(dbsc);

      const unproven = await dbsc.refreshOnce({ proof: null });

      expectProblem(unproven, 403, 'session_proof_required');
      expectNoBoundCookieIssued(unproven);
      const challenge = challengeOf(unproven);
      expect(challenge).toEqual({ challenge: expect.stringMatching(RANDOM_43), id: dbsc.id });

      const signed = await dbsc.refreshOnce({
        proof: await dbsc.refreshProof(challenge?.challenge),
      });

      expectStatus(signed, 200);
      expect(boundCookieOf(dbsc)).not.toBe(before);
      expectStatus(await me(login.jar), 200);
    });

    it('refreshes as a browser does when it has no cached challenge: 403, sign, 200', async () => {
      const { dbsc } = await loginWithDbsc(shop, alice, BASE);
      dbsc.challenge = undefined;

      const response = await dbsc.refresh();

      expectStatus(response, 200);
      expect(challengeOf(response)?.id).toBe(dbsc.id);
    });

    it('registers and refreshes with the headers as Chromium sends them: bare JWT and session id, SHOP Origin, no CSRF token', async () => {
      const { login, dbsc } = await offeredSession(alice);
      const browserHeaders = {
        origin: sut.shop.origin,
        'sec-fetch-site': 'same-origin',
        'sec-fetch-mode': 'no-cors',
        'sec-fetch-dest': 'empty',
      };

      const registration = await dbsc.register({
        headers: { ...browserHeaders, [RESPONSE_HEADER]: await dbsc.registrationProof() },
      });
      expectStatus(registration, 200);
      const refresh = await dbsc.refreshOnce({
        headers: {
          ...browserHeaders,
          [SESSION_ID_HEADER]: dbsc.id,
          [RESPONSE_HEADER]: await dbsc.refreshProof(),
        },
      });

      expectStatus(refresh, 200);
      expect(dbsc.boundCookie()).toMatch(RANDOM_43);
      expectStatus(await me(login.jar), 200);
    });

    it('is offered registration at AUTH itself too, relative to /auth/session, and bound there', async () => {
      const login = await loginWithSession(auth, alice);
      const offer = registrationOffer(login.response);
      const dbsc = new DbscSession(auth, login.jar, await generateDbscKey(), offer);

      const response = await dbsc.register();

      expect(offer.path).toBe('/auth/session/dbsc/registration');
      expectStatus(response, 200);
      expect(dbsc.refreshPath).toBe('/auth/session/dbsc/refresh');
      expectStatus(await me(login.jar, auth), 200);
      expectProblem(await me(sessionCookieOnly(login.jar), auth), 401, 'bound_cookie_required');
      expectStatus(await dbsc.refreshOnce(), 200);
    });
  });

  describe('registration refuses every forged or misdirected proof (401 invalid_session_proof) and leaves the session unbound', () => {
    const challengeOfOffer = (dbsc: DbscSession) => dbsc.offer.challenge;

    const attacks: [string, (dbsc: DbscSession) => Promise<DbscRequestOptions>][] = [
      ['a Secure-Session-Response that is no JWT', async () => ({ proof: 'not-a-jwt' })],
      [
        'a challenge the server never issued',
        async (dbsc) => ({
          proof: await dbscProof(dbsc.key, {
            challenge: randomBytes(32).toString('base64url'),
            withJwk: true,
          }),
        }),
      ],
      [
        'a proof without jti',
        async (dbsc) => ({
          proof: await dbscProof(dbsc.key, {
            challenge: challengeOfOffer(dbsc),
            withJwk: true,
            payload: { jti: undefined },
          }),
        }),
      ],
      [
        'the registration of another session, replayed (its challenge already used)',
        async () => {
          const other = await offeredSession(alice);
          const proof = await other.dbsc.registrationProof();
          expectStatus(await other.dbsc.register({ proof }), 200);
          return { proof };
        },
      ],
      [
        'a jwk holding the private key (d)',
        async (dbsc) => ({
          proof: await dbscProof(dbsc.key, {
            challenge: challengeOfOffer(dbsc),
            header: { jwk: await dbscPrivateJwk(dbsc.key) },
          }),
        }),
      ],
      [
        'an RS256 proof with an RSA jwk',
        async (dbsc) => ({
          proof: await dbscProof(rsaKey, { challenge: challengeOfOffer(dbsc), withJwk: true }),
        }),
      ],
      [
        'an HS256 proof keyed with the public JWK',
        async (dbsc) => ({
          proof: await dbscProof(dbsc.key, {
            challenge: challengeOfOffer(dbsc),
            withJwk: true,
            secret: new TextEncoder().encode(JSON.stringify(dbsc.key.publicJwk)),
          }),
        }),
      ],
      [
        'an unsigned proof (alg none)',
        async (dbsc) => ({
          proof: await dbscProof(dbsc.key, {
            challenge: challengeOfOffer(dbsc),
            withJwk: true,
            header: { alg: 'none' },
          }),
        }),
      ],
      [
        'a proof of typ JWT',
        async (dbsc) => ({
          proof: await dbscProof(dbsc.key, {
            challenge: challengeOfOffer(dbsc),
            withJwk: true,
            header: { typ: 'JWT' },
          }),
        }),
      ],
      [
        'a proof without typ',
        async (dbsc) => ({
          proof: await dbscProof(dbsc.key, {
            challenge: challengeOfOffer(dbsc),
            withJwk: true,
            header: { typ: undefined },
          }),
        }),
      ],
      [
        'a proof without jwk',
        async (dbsc) => ({
          proof: await dbscProof(dbsc.key, { challenge: challengeOfOffer(dbsc) }),
        }),
      ],
      [
        'a proof signed by another key than its jwk',
        async (dbsc) => ({
          proof: await dbscProof(malloryKey, {
            challenge: challengeOfOffer(dbsc),
            header: { jwk: dbsc.key.publicJwk },
          }),
        }),
      ],
    ];

    it.each(attacks)('refuses %s', async (_, attack) => {
      const { login, dbsc } = await offeredSession(alice);

      const response = await dbsc.register(await attack(dbsc));

      await expectRegistrationRefused(response, login);
    });

    it('refuses a registration without Secure-Session-Response (400 validation_failed)', async () => {
      const { login, dbsc } = await offeredSession(alice);

      const response = await dbsc.register({ proof: null });

      await expectRegistrationRefused(response, login, [400, 'validation_failed']);
    });

    it('refuses a registration without session cookie (401 unauthenticated), and the session stays unbound', async () => {
      const { login, dbsc } = await offeredSession(alice);

      const response = await dbsc.register({ jar: new CookieJar() });

      expectProblem(response, 401, 'unauthenticated');
      expectNoBoundCookieIssued(response);
      await expectStillPlain(login);
    });

    it('refuses its own registration replayed once bound, and keeps the key it registered first', async () => {
      const { login, dbsc } = await offeredSession(alice);
      const proof = await dbsc.registrationProof();
      expectStatus(await dbsc.register({ proof }), 200);
      const attacker = new DbscSession(shop, login.jar, malloryKey, dbsc.offer);

      const replayed = await dbsc.register({ proof });
      const rebinding = await attacker.register();

      expectNoBoundCookieIssued(replayed);
      expectNoBoundCookieIssued(rebinding);
      expectStatus(await dbsc.refresh(), 200);
      expectStatus(await me(login.jar), 200);
      expectProblem(replayed, 401, 'invalid_session_proof');
      expectProblem(rebinding, 401, 'invalid_session_proof');
    });
  });

  describe('refresh', () => {
    it('ends the session when a proof is signed by another key: 401 invalid_session_proof, then no cookie works', async () => {
      const { login, dbsc } = await loginWithDbsc(shop, alice, BASE);
      const copied = login.jar.clone();
      const challenge = dbsc.challenge;
      expect(challenge).toMatch(RANDOM_43);

      const response = await dbsc.refreshOnce({
        proof: await dbscProof(malloryKey, { challenge: challenge ?? '' }),
      });

      expectProblem(response, 401, 'invalid_session_proof');
      expect(
        response.cookies.filter(
          (cookie) => cookie.name === boundCookieName && isClearingCookie(cookie),
        ),
      ).toHaveLength(1);
      expectProblem(await me(sessionCookieOnly(copied)), 401, 'unauthenticated');
      expectProblem(await me(copied), 401, 'unauthenticated');
      expectProblem(await me(copied, auth), 401, 'unauthenticated');
      expectProblem(
        await dbsc.refreshOnce({ jar: copied.clone(), proof: await dbsc.refreshProof(challenge) }),
        401,
        'unauthenticated',
      );
      const other = await loginWithSession(shop, alice, BASE);
      const listing = await shop.get<SessionListingBody[]>(`${BASE}/sessions`, {
        jar: other.jar,
      });
      expectStatus(listing, 200);
      expect(listing.json?.map((row) => row.id)).not.toContain(dbsc.id);
    });

    it('challenges a proof over a spent challenge (403 session_proof_required) and issues no cookie', async () => {
      const { dbsc } = await loginWithDbsc(shop, alice, BASE);
      const spent = dbsc.challenge;
      expectStatus(await dbsc.refreshOnce(), 200);

      const response = await dbsc.refreshOnce({ proof: await dbsc.refreshProof(spent) });

      expectProblem(response, 403, 'session_proof_required');
      expectNoBoundCookieIssued(response);
      expect(challengeOf(response)?.challenge).not.toBe(spent);
    });

    const misnamed: [string, () => Promise<string | undefined>][] = [
      ['no Sec-Secure-Session-Id', async () => undefined],
      [
        'the handle of another bound session of the user',
        async () => sfString((await loginWithDbsc(shop, alice, BASE)).dbsc.id ?? ''),
      ],
    ];

    it.each(misnamed)('refuses a refresh with %s: 400 validation_failed', async (_, sessionId) => {
      const { dbsc } = await loginWithDbsc(shop, alice, BASE);

      const response = await dbsc.refreshOnce({
        headers: { [SESSION_ID_HEADER]: await sessionId() },
      });

      expectProblem(response, 400, 'validation_failed');
      expectNoBoundCookieIssued(response);
    });

    it('refuses a refresh of a session never registered: 400 session_not_bound', async () => {
      const { login, dbsc } = await offeredSession(alice);
      dbsc.id = await currentHandle(login.jar);
      dbsc.refreshPath = resolvePath('refresh', dbsc.offer.path);

      const response = await dbsc.refreshOnce();

      expectProblem(response, 400, 'session_not_bound');
      await expectStillPlain(login);
    });

    it('refuses a refresh without session cookie: 401 unauthenticated', async () => {
      const { dbsc } = await loginWithDbsc(shop, alice, BASE);

      const response = await dbsc.refreshOnce({ jar: new CookieJar() });

      expectProblem(response, 401, 'unauthenticated');
      expectNoBoundCookieIssued(response);
    });

    it('refuses the refresh of a session revoked from another login of the user: 401 unauthenticated', async () => {
      const { dbsc } = await loginWithDbsc(shop, alice, BASE);
      const other = await loginWithSession(shop, alice, BASE);

      const revoke = await shop.delete(`${BASE}/sessions/${dbsc.id}`, {
        jar: other.jar,
        headers: csrfHeaders(sut.shop.origin, other.csrfToken),
      });

      expectStatus(revoke, 204);
      const response = await dbsc.refreshOnce();
      expectProblem(response, 401, 'unauthenticated');
      expectNoBoundCookieIssued(response);
    });

    it('refuses the refresh of a session logged out, with the cookies kept from before: 401 unauthenticated', async () => {
      const { login, dbsc } = await loginWithDbsc(shop, alice, BASE);
      const kept = login.jar.clone();

      const logout = await shop.delete(`${BASE}/session`, {
        jar: login.jar,
        headers: csrfHeaders(sut.shop.origin, login.csrfToken),
      });

      expectStatus(logout, 204);
      const response = await dbsc.refreshOnce({ jar: kept });
      expectProblem(response, 401, 'unauthenticated');
      expectNoBoundCookieIssued(response);
    });
  });

  describe('the bound cookie belongs to its session', () => {
    it('refuses each session with the bound cookie of the other (swapped): 401 bound_cookie_required', async () => {
      const first = await loginWithDbsc(shop, alice, BASE);
      const second = await loginWithDbsc(shop, alice, BASE);
      const firstBound = boundCookieOf(first.dbsc);
      const secondBound = boundCookieOf(second.dbsc);

      const firstSwapped = await me(jarWith(first.login.sessionId, secondBound));
      const secondSwapped = await me(jarWith(second.login.sessionId, firstBound));

      expectProblem(firstSwapped, 401, 'bound_cookie_required');
      expectProblem(secondSwapped, 401, 'bound_cookie_required');
      expectStatus(await me(jarWith(first.login.sessionId, firstBound)), 200);
      expectStatus(await me(jarWith(second.login.sessionId, secondBound)), 200);
    });

    it('refuses a bound session with a bound cookie value nobody issued: 401 bound_cookie_required', async () => {
      const { login } = await loginWithDbsc(shop, alice, BASE);

      const response = await me(jarWith(login.sessionId, randomBytes(32).toString('base64url')));

      expectProblem(response, 401, 'bound_cookie_required');
    });
  });

  describe('the session listing', () => {
    it('shows deviceBound true for the bound session and false for a plain one', async () => {
      const bob = await registerUser(auth);
      const bound = await loginWithDbsc(shop, bob, BASE);
      const plain = await loginWithSession(shop, bob, BASE);
      const plainHandle = await currentHandle(plain.jar);

      const fromBound = await shop.get<SessionListingBody[]>(`${BASE}/sessions`, {
        jar: bound.login.jar,
      });
      const fromPlain = await shop.get<SessionListingBody[]>(`${BASE}/sessions`, {
        jar: plain.jar,
      });

      for (const listing of [fromBound, fromPlain]) {
        expectStatus(listing, 200);
        const byId = new Map(listing.json?.map((row) => [row.id, row.deviceBound]));
        expect(byId.get(bound.dbsc.id ?? '')).toBe(true);
        expect(byId.get(plainHandle)).toBe(false);
      }
    });
  });
});

describe(`with a bound cookie and challenges that live 3 s`, () => {
  const TTL_SECONDS = 3;
  let alice: RegisteredUser;

  beforeAll(async () => {
    alice = await startDbscSystem({
      auth: {
        DBSC_BOUND_COOKIE_TTL: String(TTL_SECONDS),
        DBSC_CHALLENGE_TTL: String(TTL_SECONDS),
      },
    });
  }, 120_000);

  afterAll(async () => {
    await sut?.stop();
  });

  it('sets the bound cookie to live DBSC_BOUND_COOKIE_TTL seconds', async () => {
    const { registration } = await loginWithDbsc(shop, alice, BASE);

    expect(registration.cookies.find((cookie) => cookie.name === boundCookieName)?.maxAge).toBe(
      TTL_SECONDS,
    );
  });

  it('refuses a bound cookie copied and sent past its lifetime: 401 bound_cookie_required; a refresh restores access', async () => {
    const { login, dbsc } = await loginWithDbsc(shop, alice, BASE);
    const copied = jarWith(login.sessionId, boundCookieOf(dbsc));
    expectStatus(await me(copied), 200);

    await sleep((TTL_SECONDS + 1) * 1000);

    expectProblem(await me(copied), 401, 'bound_cookie_required');
    expectProblem(await me(copied, auth), 401, 'bound_cookie_required');
    const stale = await dbsc.refreshOnce();
    expectProblem(stale, 403, 'session_proof_required');
    expectStatus(await dbsc.refreshOnce(), 200);
    const refreshed = await me(login.jar);
    expectStatus(refreshed, 200);
    expect(refreshed.json?.deviceBound).toBe(true);
  });

  it('refuses a registration over a challenge past its lifetime, and the session stays unbound', async () => {
    const { login, dbsc } = await offeredSession(alice);

    await sleep((TTL_SECONDS + 1) * 1000);
    const response = await dbsc.register();

    await expectRegistrationRefused(response, login);
  });
});

describe('with DBSC_REQUIRED=true at the gateway and AUTH', () => {
  let alice: RegisteredUser;

  beforeAll(async () => {
    alice = await startDbscSystem({
      auth: { DBSC_REQUIRED: 'true' },
      gateway: { DBSC_REQUIRED: 'true' },
    });
  }, 120_000);

  afterAll(async () => {
    await sut?.stop();
  });

  it('refuses a session that never registers: 401 device_binding_required at the gateway and AUTH', async () => {
    const login = await loginWithSession(shop, alice, BASE);

    expectProblem(await me(login.jar), 401, 'device_binding_required');
    expectProblem(await me(login.jar, auth), 401, 'device_binding_required');
  });

  it('accepts a session once it registered', async () => {
    const { login } = await loginWithDbsc(shop, alice, BASE);

    const response = await me(login.jar);

    expectStatus(response, 200);
    expect(response.json?.deviceBound).toBe(true);
    expectStatus(await me(login.jar, auth), 200);
  });
});

describe('with DBSC_ENABLED=false at AUTH', () => {
  let alice: RegisteredUser;

  beforeAll(async () => {
    alice = await startDbscSystem({ auth: { DBSC_ENABLED: 'false' } });
  }, 120_000);

  afterAll(async () => {
    await sut?.stop();
  });

  it('offers no registration at login, answers 404 at the registration endpoint, and the session works alone', async () => {
    const login = await loginWithSession(shop, alice, BASE);
    const key = await generateDbscKey();
    const offer = {
      algorithms: ['ES256'],
      path: `${BASE}/session/dbsc/registration`,
      challenge: 'c',
    };

    const response = await new DbscSession(shop, login.jar, key, offer).register();

    expect(login.response.headers[REGISTRATION_HEADER]).toBeUndefined();
    expect(response.status).toBe(404);
    expectNoBoundCookieIssued(response);
    expectStatus(await me(login.jar), 200);
  });
});

/** The handle of the session in `jar`, from its own listing. */
async function currentHandle(jar: CookieJar): Promise<string> {
  const listing = await shop.get<SessionListingBody[]>(`${BASE}/sessions`, { jar });
  expectStatus(listing, 200);
  const current = listing.json?.find((row) => row.current);
  if (!current) throw new Error('e2e set-up: the listing has no current session');
  return current.id;
}
