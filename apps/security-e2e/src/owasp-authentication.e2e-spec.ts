import {
  CookieJar,
  DEVICE_COOKIE,
  expectProblem,
  expectStatus,
  http,
  newCredentials,
  randomHex,
  startSystem,
  uniqueEmail,
} from '@svt/shared/testing';
import type {
  Credentials,
  HttpClient,
  HttpResponse,
  RegisteredUser,
  SessionListingBody,
  SystemUnderTest,
  TokenBody,
  UserBody,
} from '@svt/shared/testing';
import { expectRetryAfter, sleep } from './support';

/**
 * OWASP Authentication Cheat Sheet and ASVS 5.0 V6 (authentication): limits
 * per client address, per email and per account; a back-off that never tells
 * an existing account from an unknown one; the client address taken from
 * X-Forwarded-For only when a trusted proxy sent it; password and body limits.
 *
 * AUTH trusts loopback proxies by default, so each test sends its requests
 * directly to AUTH under X-Forwarded-For addresses of its own: the
 * per-address counters of one test never touch another's.
 */

const LIMITS = {
  RATE_LIMIT_LOGIN_IP: '5/60',
  RATE_LIMIT_REGISTER_IP: '3/60',
  RATE_LIMIT_REGISTER_EMAIL: '2/600',
  RATE_LIMIT_REFRESH_IP: '5/60',
  RATE_LIMIT_REFRESH_ACCOUNT: '4/60',
  LOGIN_BACKOFF_AFTER: '3',
  LOGIN_DEVICE_BACKOFF_AFTER: '4',
  LOGIN_BACKOFF_MAX: '2',
  LOGIN_FAILURE_WINDOW: '60',
};

let addresses = 0;
/** A client address (RFC 5737 documentation ranges) no other request of the file used. */
function nextIp(): string {
  addresses += 1;
  return addresses <= 254 ? `198.51.100.${addresses}` : `203.0.113.${addresses - 254}`;
}

const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

describe('with low limits, behind a trusted loopback proxy', () => {
  let sut: SystemUnderTest;
  let auth: HttpClient;
  let shop: HttpClient;
  let cart: HttpClient;

  beforeAll(async () => {
    sut = await startSystem({ env: { auth: LIMITS } });
    auth = http(sut.auth);
    shop = http(sut.shop);
    cart = http(sut.cart);
  }, 120_000);

  afterAll(async () => {
    await sut?.stop();
  });

  async function register(
    credentials: Credentials = newCredentials(),
    ip = nextIp(),
  ): Promise<RegisteredUser> {
    const response = await auth.post<UserBody>('/auth/register', credentials, from(ip));
    expectStatus(response, 201);
    return { ...credentials, id: response.json?.id ?? '' };
  }

  const tokenLogin = (credentials: Credentials, ip = nextIp()) =>
    auth.post<TokenBody>(
      '/auth/token',
      { email: credentials.email, password: credentials.password },
      from(ip),
    );

  const wrongPassword = (credentials: Credentials): Credentials => ({
    email: credentials.email,
    password: `${credentials.password}-wrong`,
  });

  /** A cookie session login at AUTH from a browser that keeps `jar`. */
  const sessionLogin = (credentials: Credentials, jar: CookieJar, ip = nextIp()) =>
    auth.post(
      '/auth/session',
      { email: credentials.email, password: credentials.password },
      { jar, ...from(ip) },
    );

  /** Logs in until the answer is not a 429, waiting out each Retry-After (at most `tries` times). */
  async function loginOnceUnblocked(
    credentials: Credentials,
    tries = 5,
  ): Promise<HttpResponse<TokenBody>> {
    let answer = await tokenLogin(credentials);
    for (let attempt = 0; attempt < tries && answer.status === 429; attempt += 1) {
      await sleep(expectRetryAfter(answer) * 1000 + 100);
      answer = await tokenLogin(credentials);
    }
    return answer;
  }

  describe('OWASP Authentication Cheat Sheet: login throttling per client address (RATE_LIMIT_LOGIN_IP=5/60)', () => {
    it('answers the 6th attempt from one address with 429 rate_limited and Retry-After, even with the right password', async () => {
      const user = await register();
      const ip = nextIp();
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const failure = await tokenLogin({ email: uniqueEmail(), password: 'wrong-password' }, ip);
        expectProblem(failure, 401, 'invalid_credentials');
      }

      const sixth = await tokenLogin(user, ip);

      expectProblem(sixth, 429, 'rate_limited');
      expect(expectRetryAfter(sixth)).toBeLessThanOrEqual(60);
      expectProblem(
        await auth.post('/auth/session', { email: user.email, password: user.password }, from(ip)),
        429,
        'rate_limited',
      );
    });

    it('counts every address of one IPv6 /64 as one client, the 6th getting 429', async () => {
      const prefix = '2001:db8:64:1';
      const answers = [];
      for (let host = 1; host <= 6; host += 1) {
        const response = await tokenLogin(
          { email: uniqueEmail(), password: 'wrong-password' },
          `${prefix}:${host.toString(16)}:${randomHex(2)}::${host}`,
        );
        answers.push(response.status);
      }

      expect(answers).toEqual([401, 401, 401, 401, 401, 429]);
      expectStatus(
        await tokenLogin({ email: uniqueEmail(), password: 'wrong-password' }, '2001:db8:64:2::1'),
        401,
      );
    });

    it('counts an IPv4-mapped IPv6 address as its IPv4 address', async () => {
      const ip = nextIp();
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const address = attempt % 2 === 0 ? ip : `::ffff:${ip}`;
        expectProblem(
          await tokenLogin({ email: uniqueEmail(), password: 'wrong-password' }, address),
          401,
          'invalid_credentials',
        );
      }

      expectProblem(
        await tokenLogin({ email: uniqueEmail(), password: 'wrong-password' }, `::ffff:${ip}`),
        429,
        'rate_limited',
      );
    });

    it('counts another X-Forwarded-For address separately', async () => {
      const user = await register();
      const limited = nextIp();
      for (let attempt = 0; attempt < 6; attempt += 1) {
        await tokenLogin({ email: uniqueEmail(), password: 'wrong-password' }, limited);
      }

      expectProblem(await tokenLogin(user, limited), 429, 'rate_limited');
      expectStatus(await tokenLogin(user, nextIp()), 201);
    });

    it('records the forwarded address as the session’s ip', async () => {
      const user = await register();
      const ip = nextIp();
      const login = await tokenLogin(user, ip);

      const listing = await auth.get<SessionListingBody[]>('/auth/sessions', {
        bearer: login.json?.access_token,
      });

      expect(listing.json?.map((row) => row.ip)).toEqual([ip]);
    });
  });

  describe('OWASP Authentication Cheat Sheet: registration throttling', () => {
    it('answers the 4th registration from one address with 429 (RATE_LIMIT_REGISTER_IP=3/60)', async () => {
      const ip = nextIp();
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await register(newCredentials(), ip);
      }

      const fourth = await auth.post('/auth/register', newCredentials(), from(ip));

      expectProblem(fourth, 429, 'rate_limited');
      expectRetryAfter(fourth);
      await register(newCredentials(), nextIp());
    });

    it('counts registrations from one IPv6 /64 as one client, so the email_taken answer cannot be farmed across it', async () => {
      const statuses = [];
      for (let host = 1; host <= 4; host += 1) {
        const response = await auth.post(
          '/auth/register',
          newCredentials(),
          from(`2001:db8:64:3::${host.toString(16)}`),
        );
        statuses.push(response.status);
      }

      expect(statuses).toEqual([201, 201, 201, 429]);
    });

    it('limits attempts per email, whatever the address and the spelling (RATE_LIMIT_REGISTER_EMAIL=2/600)', async () => {
      const credentials = newCredentials();
      await register(credentials);
      const again = await auth.post('/auth/register', credentials, from(nextIp()));
      expectProblem(again, 409, 'email_taken');

      const third = await auth.post(
        '/auth/register',
        { email: ` ${credentials.email.toUpperCase()} `, password: credentials.password },
        from(nextIp()),
      );

      expectProblem(third, 429, 'rate_limited');
      expectRetryAfter(third);
    });
  });

  describe('OWASP Authentication Cheat Sheet: refresh throttling', () => {
    it('answers the 6th refresh from one address with 429, and the refused token is not spent (RATE_LIMIT_REFRESH_IP=5/60)', async () => {
      const user = await register();
      const login = await tokenLogin(user);
      const ip = nextIp();
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const response = await auth.post(
          '/auth/token/refresh',
          { refresh_token: randomHex(32) },
          from(ip),
        );
        expectProblem(response, 401, 'invalid_refresh_token');
      }

      const sixth = await auth.post(
        '/auth/token/refresh',
        { refresh_token: login.json?.refresh_token },
        from(ip),
      );

      expectProblem(sixth, 429, 'rate_limited');
      expectRetryAfter(sixth);
      const elsewhere = await auth.post(
        '/auth/token/refresh',
        { refresh_token: login.json?.refresh_token },
        from(nextIp()),
      );
      expectStatus(elsewhere, 200);
    });

    it('answers the 5th refresh of one account with 429 from any address, and leaves other accounts alone (RATE_LIMIT_REFRESH_ACCOUNT=4/60)', async () => {
      const user = await register();
      const other = await register();
      const logins: HttpResponse<TokenBody>[] = [];
      for (let family = 0; family < 5; family += 1) logins.push(await tokenLogin(user));
      const refreshOf = (login: HttpResponse<TokenBody>) =>
        auth.post(
          '/auth/token/refresh',
          { refresh_token: login.json?.refresh_token },
          from(nextIp()),
        );
      for (const login of logins.slice(0, 4)) expectStatus(await refreshOf(login), 200);

      const fifth = await refreshOf(logins[4]);

      expectProblem(fifth, 429, 'rate_limited');
      expectRetryAfter(fifth);
      expectStatus(await refreshOf(await tokenLogin(other)), 200);
    });
  });

  describe('OWASP Authentication Cheat Sheet: account back-off without account enumeration (LOGIN_BACKOFF_AFTER=3)', () => {
    it('answers an existing and an unknown email alike: three 401s, then the same 429 with Retry-After', async () => {
      const user = await register();
      const unknown = { email: uniqueEmail(), password: user.password };
      const run = async (credentials: Credentials) => {
        const failures: HttpResponse<unknown>[] = [];
        for (let attempt = 0; attempt < 3; attempt += 1) {
          failures.push(await tokenLogin(wrongPassword(credentials)));
        }
        return { failures, blocked: await tokenLogin(credentials) };
      };

      const existing = await run(user);
      const nobody = await run(unknown);

      for (const failure of [...existing.failures, ...nobody.failures]) {
        expectProblem(failure, 401, 'invalid_credentials');
      }
      expect(existing.failures[0].json).toEqual(nobody.failures[0].json);
      expectProblem(existing.blocked, 429, 'rate_limited');
      expectProblem(nobody.blocked, 429, 'rate_limited');
      expect(existing.blocked.json).toEqual(nobody.blocked.json);
      expectRetryAfter(existing.blocked);
      expectRetryAfter(nobody.blocked);
    });

    it('refuses even the right password during the back-off, accepts it once Retry-After passed, and forgets the failures', async () => {
      const user = await register();
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expectProblem(await tokenLogin(wrongPassword(user)), 401, 'invalid_credentials');
      }

      const blocked = await tokenLogin(user);
      expectProblem(blocked, 429, 'rate_limited');

      let retryAfter = expectRetryAfter(blocked);
      let after = blocked;
      for (let attempt = 0; attempt < 5 && after.status === 429; attempt += 1) {
        await sleep(retryAfter * 1000 + 100);
        after = await tokenLogin(user);
        if (after.status === 429) retryAfter = expectRetryAfter(after);
      }
      expectStatus(after, 201);
      const next = [
        await tokenLogin(wrongPassword(user)),
        await tokenLogin(wrongPassword(user)),
      ].map((response) => response.status);
      expect(next).toEqual([401, 401]);
    }, 30_000);

    it('checks at most LOGIN_BACKOFF_AFTER + 1 of 30 parallel wrong passwords, answers the rest 429 with Retry-After, and lets the owner in once the block ends', async () => {
      const user = await register();

      const burst = await Promise.all(
        Array.from({ length: 30 }, () => tokenLogin(wrongPassword(user))),
      );

      const checked = burst.filter((response) => response.status === 401);
      const refused = burst.filter((response) => response.status !== 401);
      expect(checked.length).toBeGreaterThanOrEqual(1);
      expect(checked.length).toBeLessThanOrEqual(3 + 1);
      for (const response of checked) expectProblem(response, 401, 'invalid_credentials');
      for (const response of refused) {
        expectProblem(response, 429, 'rate_limited');
        expectRetryAfter(response);
      }
      expectStatus(await loginOnceUnblocked(user), 201);
    }, 30_000);

    it('gives a second burst, once the block has lifted, one check rather than as many again', async () => {
      const user = await register();
      await Promise.all(Array.from({ length: 30 }, () => tokenLogin(wrongPassword(user))));
      const blocked = await tokenLogin(wrongPassword(user));
      expectProblem(blocked, 429, 'rate_limited');
      await sleep(expectRetryAfter(blocked) * 1000 + 100);

      const second = await Promise.all(
        Array.from({ length: 30 }, () => tokenLogin(wrongPassword(user))),
      );

      expect(second.filter((response) => response.status === 401)).toHaveLength(1);
      expect(second.filter((response) => response.status === 429)).toHaveLength(29);
      expectStatus(await loginOnceUnblocked(user), 201);
    }, 30_000);

    it('lengthens the back-off with further failures, but never past LOGIN_BACKOFF_MAX=2', async () => {
      const user = await register();
      const retryAfters: number[] = [];
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expectProblem(await tokenLogin(wrongPassword(user)), 401, 'invalid_credentials');
        if (attempt < 2) continue;
        // Each failure from the third on blocks the email; wait out the block before the next one.
        const blocked = await tokenLogin(user);
        expectProblem(blocked, 429, 'rate_limited');
        const seconds = expectRetryAfter(blocked);
        retryAfters.push(seconds);
        if (attempt < 4) await sleep(seconds * 1000 + 100);
      }

      expect(retryAfters).toHaveLength(3);
      expect(Math.max(...retryAfters)).toBeLessThanOrEqual(2);
    }, 30_000);
  });

  describe('OWASP device cookies: guesses from elsewhere never lock the owner out (LOGIN_DEVICE_BACKOFF_AFTER=4)', () => {
    /** Wrong passwords from fresh clients until the account answers 429. */
    async function lockOut(credentials: Credentials): Promise<void> {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expectProblem(await tokenLogin(wrongPassword(credentials)), 401, 'invalid_credentials');
      }
      expectProblem(await tokenLogin(credentials), 429, 'rate_limited');
    }

    it('sets an HttpOnly, Secure, SameSite=Strict __Secure- device cookie for AUTH’s routes at a session login, holding no personal data', async () => {
      const user = await register();
      const jar = new CookieJar();

      const login = await sessionLogin(user, jar);

      expectStatus(login, 201);
      const device = login.cookies.find((cookie) => cookie.name === DEVICE_COOKIE);
      expect(device).toMatchObject({
        path: '/auth',
        httpOnly: true,
        secure: true,
        sameSite: 'Strict',
      });
      expect(device?.domain).toBeUndefined();
      expect(device?.value).toMatch(/^[\w-]{22}\.[\w-]{43}$/);
      expect(device?.value).not.toContain(user.id);
      expect(device?.value).not.toContain(encodeURIComponent(user.email));
    });

    it('lets the owner log in from a browser with its device cookie while an attacker keeps the account at 429', async () => {
      const user = await register();
      const ownersBrowser = new CookieJar();
      expectStatus(await sessionLogin(user, ownersBrowser), 201);

      await lockOut(user);

      expectStatus(await sessionLogin(user, ownersBrowser), 201);
      const token = await auth.post<TokenBody>(
        '/auth/token',
        { email: user.email, password: user.password },
        { jar: ownersBrowser, ...from(nextIp()) },
      );
      expectStatus(token, 201);
      expectProblem(await tokenLogin(user), 429, 'rate_limited');
    });

    it('counts guesses with the device cookie on the device, blocking it from the 4th on', async () => {
      const user = await register();
      const browser = new CookieJar();
      expectStatus(await sessionLogin(user, browser), 201);

      const answers = [];
      for (let attempt = 0; attempt < 5; attempt += 1) {
        answers.push((await sessionLogin(wrongPassword(user), browser)).status);
      }

      expect(answers).toEqual([401, 401, 401, 401, 429]);
      expectStatus(await tokenLogin(user), 201);
    });

    it('does not exempt a device cookie issued for another account, nor an altered one', async () => {
      const victim = await register();
      const attacker = await register();
      const attackersBrowser = new CookieJar();
      expectStatus(await sessionLogin(attacker, attackersBrowser), 201);
      const forged = new CookieJar().set(
        DEVICE_COOKIE,
        `${'A'.repeat(22)}.${(attackersBrowser.get(DEVICE_COOKIE) ?? '').split('.')[1]}`,
      );

      await lockOut(victim);

      for (const browser of [attackersBrowser, forged]) {
        expectProblem(await sessionLogin(wrongPassword(victim), browser), 429, 'rate_limited');
      }
    });

    it('counts wrong current passwords on POST /auth/password against the caller’s session, not the account', async () => {
      const user = await register();
      const login = await tokenLogin(user);
      const change = () =>
        auth.post(
          '/auth/password',
          { currentPassword: `${user.password}-wrong`, newPassword: `new-${user.password}` },
          { bearer: login.json?.access_token, ...from(nextIp()) },
        );
      for (let attempt = 0; attempt < 4; attempt += 1) {
        expectProblem(await change(), 403, 'wrong_password');
      }

      expectProblem(await change(), 429, 'rate_limited');
      expectStatus(await tokenLogin(user), 201);
    });

    it('keeps a signed-in owner able to change the password while guesses keep the login at 429', async () => {
      const user = await register();
      const login = await tokenLogin(user);

      await lockOut(user);

      const changed = await auth.post<TokenBody>(
        '/auth/password',
        { currentPassword: user.password, newPassword: `new-${user.password}` },
        { bearer: login.json?.access_token, ...from(nextIp()) },
      );
      expectStatus(changed, 200);
    });
  });

  describe('ASVS 5.0 §6.2 passwords and emails as users type them', () => {
    it('normalises the email: registered trimmed and lower-cased, logged in with any casing, and one account per NFKC form', async () => {
      const local = `alice-${randomHex(4)}`;
      const credentials = {
        email: `  ${local.toUpperCase()}@Example.TEST `,
        password: 'pw-normalised',
      };

      const registered = await auth.post<UserBody>('/auth/register', credentials, from(nextIp()));

      expectStatus(registered, 201);
      expect(registered.json?.email).toBe(`${local}@example.test`);
      expectStatus(
        await tokenLogin({ email: `${local}@EXAMPLE.test`, password: credentials.password }),
        201,
      );
      // U+FF21… fullwidth letters fold to ASCII under NFKC.
      const fullwidth = [...local.toUpperCase()]
        .map((ch) =>
          /[A-Z]/.test(ch) ? String.fromCodePoint((ch.codePointAt(0) ?? 0) + 0xfee0) : ch,
        )
        .join('');
      const again = await auth.post(
        '/auth/register',
        { email: `${fullwidth}@example.test`, password: credentials.password },
        from(nextIp()),
      );
      expectProblem(again, 409, 'email_taken');
    });

    const emoji = '😀';
    it.each<[string, number, string]>([
      ['8 characters', 201, 'a'.repeat(8)],
      ['1024 characters', 201, 'a'.repeat(1024)],
      ['600 emoji (1200 UTF-16 code units, 2400 bytes)', 201, emoji.repeat(600)],
      ['768 emoji (3072 bytes, the byte cap)', 201, emoji.repeat(768)],
      ['1024 three-byte characters (3072 bytes)', 201, '€'.repeat(1024)],
      ['7 characters', 400, 'a'.repeat(7)],
      ['7 emoji (14 UTF-16 code units, but 7 characters)', 400, emoji.repeat(7)],
      ['1025 characters', 400, 'a'.repeat(1025)],
      ['769 emoji (3076 bytes)', 400, emoji.repeat(769)],
    ])('answers a password of %s with %d', async (_label, status, password) => {
      const credentials = { email: uniqueEmail(), password };

      const response = await auth.post('/auth/register', credentials, from(nextIp()));

      if (status === 201) {
        expectStatus(response, 201);
        expectStatus(await tokenLogin(credentials), 201);
      } else {
        const problem = expectProblem(response, 400, 'validation_failed');
        expect(problem.errors?.map((error) => error.field)).toEqual(['password']);
      }
    });
  });

  describe('OWASP Denial of Service Cheat Sheet: request size limits', () => {
    const huge = 'x'.repeat(17 * 1024);

    it.each<[string, string, string, () => HttpClient]>([
      ['AUTH', 'POST', '/auth/register', () => auth],
      ['AUTH', 'POST', '/auth/session', () => auth],
      ['AUTH', 'POST', '/auth/token', () => auth],
      ['the gateway', 'POST', '/api/auth/session', () => shop],
    ])(
      '%s answers a body over 16 KiB on %s %s with 413 payload_too_large, not a validation error',
      async (_service, method, path, client) => {
        const response = await client().request({
          method,
          path,
          json: { email: uniqueEmail(), password: huge },
          ...from(nextIp()),
        });

        expectProblem(response, 413, 'payload_too_large');
      },
    );

    it('CART answers a body over 16 KiB with 413 payload_too_large', async () => {
      const user = await register();
      const login = await tokenLogin(user);

      const response = await cart.put(
        '/cart/items/sku-1',
        { quantity: 1, padding: huge },
        { bearer: login.json?.access_token },
      );

      expectProblem(response, 413, 'payload_too_large');
    });

    it.each<[string, () => HttpClient]>([
      ['AUTH', () => auth],
      ['the gateway', () => shop],
      ['CART', () => cart],
    ])(
      '%s answers headers over 16 KiB with 431 headers_too_large as application/problem+json',
      async (_service, client) => {
        const response = await client().get('/health/live', {
          headers: { 'x-padding': 'a'.repeat(20 * 1024) },
        });

        expectProblem(response, 431, 'headers_too_large');
      },
    );
  });

  describe('OWASP Authentication Cheat Sheet: the gateway is the edge and trusts no client X-Forwarded-For', () => {
    // Every login through the gateway reaches AUTH as 127.0.0.1; this is the
    // only test of the file that logs in from that address.
    it('counts logins with different client-sent X-Forwarded-For as one address', async () => {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 6; attempt += 1) {
        const response = await shop.post(
          '/api/auth/token',
          { email: uniqueEmail(), password: 'wrong-password' },
          from(nextIp()),
        );
        statuses.push(response.status);
      }

      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    });
  });
});

describe('with TRUSTED_PROXIES=none and a failure window of 2 s', () => {
  let sut: SystemUnderTest;
  let auth: HttpClient;

  beforeAll(async () => {
    sut = await startSystem({
      env: {
        auth: {
          TRUSTED_PROXIES: 'none',
          RATE_LIMIT_REFRESH_IP: '3/60',
          LOGIN_BACKOFF_AFTER: '2',
          LOGIN_FAILURE_WINDOW: '2',
        },
      },
    });
    auth = http(sut.auth);
  }, 120_000);

  afterAll(async () => {
    await sut?.stop();
  });

  async function register(): Promise<Credentials> {
    const credentials = newCredentials();
    expectStatus(await auth.post('/auth/register', credentials), 201);
    return credentials;
  }

  const tokenLogin = (credentials: Credentials) =>
    auth.post<TokenBody>('/auth/token', credentials, from(nextIp()));

  describe('OWASP Authentication Cheat Sheet: AUTH ignores X-Forwarded-For from peers it does not trust', () => {
    it('records the peer address as the session’s ip, not the forwarded one', async () => {
      const login = await tokenLogin(await register());
      expectStatus(login, 201);

      const listing = await auth.get<SessionListingBody[]>('/auth/sessions', {
        bearer: login.json?.access_token,
      });

      expect(listing.json?.map((row) => row.ip)).toEqual(['127.0.0.1']);
    });

    it('counts requests with different X-Forwarded-For as one address (RATE_LIMIT_REFRESH_IP=3/60)', async () => {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 4; attempt += 1) {
        const response = await auth.post(
          '/auth/token/refresh',
          { refresh_token: randomHex(32) },
          from(nextIp()),
        );
        statuses.push(response.status);
      }

      expect(statuses).toEqual([401, 401, 401, 429]);
    });
  });

  describe('OWASP Authentication Cheat Sheet: failures count toward the back-off within LOGIN_FAILURE_WINDOW only', () => {
    it('engages the back-off after two failures inside the window (the control)', async () => {
      const user = await register();
      const wrong = { email: user.email, password: `${user.password}-wrong` };
      await tokenLogin(wrong);
      await tokenLogin(wrong);

      expectProblem(await tokenLogin(user), 429, 'rate_limited');
    });

    it('forgets a failure once the window has passed', async () => {
      const user = await register();
      const wrong = { email: user.email, password: `${user.password}-wrong` };
      expectProblem(await tokenLogin(wrong), 401, 'invalid_credentials');

      await sleep(3_000);
      expectProblem(await tokenLogin(wrong), 401, 'invalid_credentials');

      expectStatus(await tokenLogin(user), 201);
    });
  });
});
