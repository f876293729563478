import {
  CookieJar,
  DEVICE_COOKIE,
  SESSION_COOKIE,
  csrfHeaders,
  expectProblem,
  expectStatus,
  http,
  loginWithSession,
  newCredentials,
  registerUser,
  startSystem,
} from '@svt/shared/testing';
import type {
  HttpClient,
  RegisteredUser,
  SessionBody,
  SystemUnderTest,
  TokenBody,
  UserBody,
} from '@svt/shared/testing';

let sut: SystemUnderTest;
let shop: HttpClient;
let user: RegisteredUser;

beforeAll(async () => {
  sut = await startSystem();
  shop = http(sut.shop);
  user = await registerUser(shop, newCredentials(), '/api/auth');
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

describe('/api/auth/* on SHOP', () => {
  describe('POST /api/auth/register', () => {
    it('is forwarded to AUTH and answers 201 with the new user', async () => {
      const credentials = newCredentials();

      const response = await shop.post<UserBody>('/api/auth/register', credentials);

      expectStatus(response, 201);
      expect(response.json).toEqual({
        id: expect.any(String),
        email: credentials.email,
        emailVerified: false,
      });
    });

    it("passes AUTH's errors through as they are", async () => {
      const response = await shop.post('/api/auth/register', {
        email: user.email,
        password: user.password,
      });

      expectProblem(response, 409, 'email_taken');
    });
  });

  describe('POST /api/auth/session', () => {
    it('answers 201 and sets __Host-Http-sid on SHOP with HttpOnly, Secure, SameSite=Strict, Path=/ and no Domain', async () => {
      const response = await shop.post<SessionBody>('/api/auth/session', {
        email: user.email,
        password: user.password,
      });

      expectStatus(response, 201);
      expect(response.json?.user).toEqual({ id: user.id, email: user.email, emailVerified: false });
      const cookie = response.cookies.find((c) => c.name === SESSION_COOKIE);
      expect(cookie).toMatchObject({ httpOnly: true, secure: true, path: '/' });
      expect(cookie?.sameSite?.toLowerCase()).toBe('strict');
      expect(cookie?.domain).toBeUndefined();
    });

    it('sets the device cookie for /api/auth only, so it never rides along with other requests', async () => {
      const browser = new CookieJar();

      const response = await shop.post<SessionBody>(
        '/api/auth/session',
        { email: user.email, password: user.password },
        { jar: browser },
      );

      expectStatus(response, 201);
      expect(response.cookies.find((c) => c.name === DEVICE_COOKIE)).toMatchObject({
        path: '/api/auth',
        httpOnly: true,
        secure: true,
        sameSite: 'Strict',
      });
      expect(browser.names('/api/auth/token')).toContain(DEVICE_COOKIE);
      expect(browser.names('/api/me')).toEqual([SESSION_COOKIE]);
      expect(browser.names('/api/cart/items/tea')).toEqual([SESSION_COOKIE]);
    });

    it('answers 401 invalid_credentials for a wrong password', async () => {
      const response = await shop.post('/api/auth/session', {
        email: user.email,
        password: 'not-the-password',
      });

      expectProblem(response, 401, 'invalid_credentials');
    });
  });

  describe('GET /api/auth/session', () => {
    it('answers 200 with the user when the SHOP cookie is sent', async () => {
      const { jar } = await loginWithSession(shop, user, '/api/auth');

      const response = await shop.get<SessionBody>('/api/auth/session', { jar });

      expectStatus(response, 200);
      expect(response.json?.user).toEqual({ id: user.id, email: user.email, emailVerified: false });
    });
  });

  describe('DELETE /api/auth/session', () => {
    it('answers 204, clears the cookie on SHOP, and the old cookie stops working at the gateway', async () => {
      const session = await loginWithSession(shop, user, '/api/auth');
      const oldCookie = session.jar.clone();

      const response = await shop.delete('/api/auth/session', {
        jar: session.jar,
        headers: csrfHeaders(sut.shop.origin, session.csrfToken),
      });

      expectStatus(response, 204);
      expect(session.jar.has(SESSION_COOKIE)).toBe(false);
      expectProblem(await shop.get('/api/me', { jar: oldCookie }), 401, 'unauthenticated');
    });
  });

  describe('POST /api/auth/token', () => {
    it('answers 201 with a token pair', async () => {
      const response = await shop.post<TokenBody>('/api/auth/token', {
        email: user.email,
        password: user.password,
      });

      expectStatus(response, 201);
      expect(response.json).toMatchObject({
        token_type: 'Bearer',
        access_token: expect.any(String),
      });
    });
  });
});

describe('an unknown route on SHOP', () => {
  it('answers 404 not_found as a problem', async () => {
    expectProblem(await shop.get('/api/nope'), 404, 'not_found');
  });
});

describe('GET /health/*', () => {
  it.each(['/health/live', '/health/ready'])('%s answers 200', async (path) => {
    expectStatus(await shop.get(path), 200);
  });
});
