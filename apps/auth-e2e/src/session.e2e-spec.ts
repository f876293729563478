import {
  SESSION_COOKIE,
  csrfHeaders,
  expectBearerChallenge,
  expectProblem,
  expectStatus,
  http,
  loginWithSession,
  registerUser,
  startSystem,
  uniqueEmail,
} from '@svt/shared/testing';
import type { HttpClient, RegisteredUser, SessionBody, SystemUnderTest } from '@svt/shared/testing';

let sut: SystemUnderTest;
let auth: HttpClient;
let user: RegisteredUser;

beforeAll(async () => {
  sut = await startSystem();
  auth = http(sut.auth);
  user = await registerUser(auth);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

describe('POST /auth/session', () => {
  describe('with the right email and password', () => {
    it('answers 201 with the user, a CSRF token and ISO expiries in the future', async () => {
      const response = await auth.post<SessionBody>('/auth/session', {
        email: user.email,
        password: user.password,
      });

      expectStatus(response, 201);
      expect(response.json).toEqual({
        user: { id: user.id, email: user.email, emailVerified: false },
        csrfToken: expect.any(String),
        expiresAt: expect.any(String),
        idleExpiresAt: expect.any(String),
      });
      const { expiresAt = '', idleExpiresAt = '' } = response.json ?? {};
      expect(new Date(expiresAt).toISOString()).toBe(expiresAt);
      expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
      // The idle deadline comes first with the defaults (30 minutes against 8 hours).
      expect(Date.parse(idleExpiresAt)).toBeGreaterThan(Date.now());
      expect(Date.parse(idleExpiresAt)).toBeLessThan(Date.parse(expiresAt));
      expect(response.json?.csrfToken.length).toBeGreaterThanOrEqual(16);
    });

    it('sets __Host-Http-sid with HttpOnly, Secure, SameSite=Strict, Path=/ and no Domain', async () => {
      const response = await auth.post('/auth/session', {
        email: user.email,
        password: user.password,
      });

      const cookie = response.cookies.find((c) => c.name === SESSION_COOKIE);
      expect(cookie).toMatchObject({ httpOnly: true, secure: true, path: '/' });
      expect(cookie?.sameSite?.toLowerCase()).toBe('strict');
      expect(cookie?.domain).toBeUndefined();
    });

    it('sets a value of at least 22 base64url characters (128 bits)', async () => {
      const { sessionId } = await loginWithSession(auth, user);

      expect(sessionId).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    });

    it('gives a new session id on every login', async () => {
      const first = await loginWithSession(auth, user);
      const second = await loginWithSession(auth, user);

      expect(second.sessionId).not.toBe(first.sessionId);
    });

    it('gives a new session id even when the client already sends one (no fixation)', async () => {
      const first = await loginWithSession(auth, user);
      const jar = first.jar.clone();

      const second = await loginWithSession(auth, user, '/auth', jar);

      expect(second.sessionId).not.toBe(first.sessionId);
    });

    it('accepts the email in another case and with spaces', async () => {
      const response = await auth.post('/auth/session', {
        email: ` ${user.email.toUpperCase()} `,
        password: user.password,
      });

      expectStatus(response, 201);
    });
  });

  describe('when the password is wrong', () => {
    it('answers 401 invalid_credentials, the same as for an unknown email', async () => {
      const wrongPassword = await auth.post('/auth/session', {
        email: user.email,
        password: `${user.password}x`,
      });
      const unknownEmail = await auth.post('/auth/session', {
        email: uniqueEmail(),
        password: user.password,
      });

      expectProblem(wrongPassword, 401, 'invalid_credentials');
      expectProblem(unknownEmail, 401, 'invalid_credentials');
      expect(wrongPassword.json).toEqual(unknownEmail.json);
    });

    it('sets no session cookie', async () => {
      const response = await auth.post('/auth/session', {
        email: user.email,
        password: 'wrong-password',
      });

      expect(response.cookies.map((c) => c.name)).not.toContain(SESSION_COOKIE);
    });
  });
});

describe('GET /auth/session', () => {
  describe('with the session cookie', () => {
    it('answers 200 with the user, a CSRF token and the expiries', async () => {
      const session = await loginWithSession(auth, user);

      const response = await auth.get<SessionBody>('/auth/session', {
        jar: session.jar,
      });

      expectStatus(response, 200);
      expect(response.json).toEqual({
        user: { id: user.id, email: user.email, emailVerified: false },
        csrfToken: expect.any(String),
        deviceBound: false,
        expiresAt: expect.any(String),
        idleExpiresAt: expect.any(String),
      });
    });
  });

  describe('without a cookie', () => {
    it('answers 401 unauthenticated with a Bearer challenge', async () => {
      const response = await auth.get('/auth/session');

      expectProblem(response, 401, 'unauthenticated');
      expectBearerChallenge(response, false);
    });
  });
});

describe('DELETE /auth/session', () => {
  describe.each<[string, (csrf: string) => Record<string, string | undefined>, string]>([
    ['Origin is missing', (csrf) => ({ 'x-csrf-token': csrf }), 'forbidden_origin'],
    [
      'Origin is foreign',
      (csrf) => csrfHeaders('http://evil.localhost:1', csrf),
      'forbidden_origin',
    ],
    ['Origin is "null"', (csrf) => csrfHeaders('null', csrf), 'forbidden_origin'],
  ])('when %s', (_label, headers, code) => {
    it(`answers 403 ${code} and keeps the session`, async () => {
      const session = await loginWithSession(auth, user);

      const response = await auth.delete('/auth/session', {
        jar: session.jar,
        headers: headers(session.csrfToken),
      });

      expectProblem(response, 403, code);
      expectStatus(await auth.get('/auth/session', { jar: session.jar }), 200);
    });
  });

  describe.each<[string, (csrf: string) => string | undefined]>([
    ['the CSRF token is missing', () => undefined],
    ['the CSRF token is wrong', (csrf) => `${csrf}x`],
    ['the CSRF token is empty', () => ''],
  ])('when the Origin is right but %s', (_label, token) => {
    it('answers 403 csrf_failed and keeps the session', async () => {
      const session = await loginWithSession(auth, user);

      const response = await auth.delete('/auth/session', {
        jar: session.jar,
        headers: {
          origin: sut.auth.origin,
          'x-csrf-token': token(session.csrfToken),
        },
      });

      expectProblem(response, 403, 'csrf_failed');
      expectStatus(await auth.get('/auth/session', { jar: session.jar }), 200);
    });
  });

  describe('when the CSRF token belongs to another session of the same user', () => {
    it('answers 403 csrf_failed', async () => {
      const mine = await loginWithSession(auth, user);
      const other = await loginWithSession(auth, user);

      const response = await auth.delete('/auth/session', {
        jar: mine.jar,
        headers: csrfHeaders(sut.auth.origin, other.csrfToken),
      });

      expectProblem(response, 403, 'csrf_failed');
    });
  });

  describe.each([
    ['SHOP', () => sut.shop.origin],
    ['AUTH', () => sut.auth.origin],
  ])('with the %s Origin and the CSRF token', (_label, origin) => {
    it('answers 204, clears __Host-Http-sid, and the old cookie no longer works', async () => {
      const session = await loginWithSession(auth, user);
      const oldCookie = session.jar.clone();

      const response = await auth.delete('/auth/session', {
        jar: session.jar,
        headers: csrfHeaders(origin(), session.csrfToken),
      });

      expectStatus(response, 204);
      const cleared = response.cookies.find((c) => c.name === SESSION_COOKIE);
      expect(cleared).toBeDefined();
      expect(cleared?.maxAge === 0 || (cleared?.expires?.getTime() ?? Infinity) <= Date.now()).toBe(
        true,
      );
      expect(session.jar.has(SESSION_COOKIE)).toBe(false);
      const after = await auth.get('/auth/session', { jar: oldCookie });
      expectProblem(after, 401, 'unauthenticated');
    });
  });

  it('accepts the CSRF token that GET /auth/session returns', async () => {
    const session = await loginWithSession(auth, user);
    const current = await auth.get<SessionBody>('/auth/session', {
      jar: session.jar,
    });

    const response = await auth.delete('/auth/session', {
      jar: session.jar,
      headers: csrfHeaders(sut.shop.origin, current.json?.csrfToken ?? ''),
    });

    expectStatus(response, 204);
  });

  it('ends only that session, not the others of the user', async () => {
    const leaving = await loginWithSession(auth, user);
    const staying = await loginWithSession(auth, user);

    const logout = await auth.delete('/auth/session', {
      jar: leaving.jar.clone(),
      headers: csrfHeaders(sut.auth.origin, leaving.csrfToken),
    });

    expectStatus(logout, 204);
    expectStatus(await auth.get('/auth/session', { jar: leaving.jar }), 401);
    expectStatus(await auth.get('/auth/session', { jar: staying.jar }), 200);
  });
});
