import {
  csrfHeaders,
  expectProblem,
  expectStatus,
  http,
  loginWithSession,
  loginWithToken,
  newCredentials,
  putCartItem,
  registerUser,
  startSystem,
  uniqueEmail,
} from '@svt/shared/testing';
import type {
  CartBody,
  HttpClient,
  HttpResponse,
  JsonObject,
  RegisteredUser,
  SessionLogin,
  SystemUnderTest,
  TokenLogin,
} from '@svt/shared/testing';
import { expectRetryAfter, headerList, refresh, sessionHandle } from './support';

/**
 * OWASP CSRF Prevention Cheat Sheet (synchronizer token, Origin
 * verification, Fetch Metadata, login CSRF, no simple-request bodies, no
 * state change on GET) and the CORS protocol of the Fetch Standard as the
 * OWASP HTML5 Security Cheat Sheet asks for it: one exact allowed origin.
 */

const EVIL = 'http://evil.localhost:1';

let sut: SystemUnderTest;
let auth: HttpClient;
let shop: HttpClient;
let cart: HttpClient;
let alice: RegisteredUser;

beforeAll(async () => {
  sut = await startSystem({
    // A second registration of an email is then a 429, for the CORS headers of an error.
    env: { auth: { RATE_LIMIT_REGISTER_EMAIL: '1/600' } },
  });
  auth = http(sut.auth);
  shop = http(sut.shop);
  cart = http(sut.cart);
  alice = await registerUser(auth);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

describe('OWASP CSRF Prevention Cheat Sheet: cookie-authenticated changes need an allowed Origin, the synchronizer token, and no cross-site Fetch Metadata', () => {
  let authSession: SessionLogin;
  let shopSession: SessionLogin;
  let bystander: SessionLogin;
  let aliceTokens: TokenLogin;

  beforeAll(async () => {
    authSession = await loginWithSession(auth, alice);
    shopSession = await loginWithSession(shop, alice, '/api/auth');
    bystander = await loginWithSession(auth, await registerUser(auth));
    aliceTokens = await loginWithToken(auth, alice);
    await putCartItem(cart, '/cart/items/kept', 3, aliceTokens.accessToken);
  });

  type Site = 'auth' | 'shop';
  const writes: [string, string, Site, string, (() => JsonObject) | null][] = [
    ['AUTH', 'DELETE', 'auth', '/auth/session', null],
    ['AUTH', 'POST', 'auth', '/auth/logout-all', null],
    [
      'AUTH',
      'POST',
      'auth',
      '/auth/password',
      () => ({ currentPassword: alice.password, newPassword: `new-${alice.password}` }),
    ],
    ['AUTH', 'DELETE', 'auth', '/auth/sessions/:own', null],
    ['the gateway', 'DELETE', 'shop', '/api/auth/session', null],
    ['the gateway', 'POST', 'shop', '/api/auth/logout-all', null],
    [
      'the gateway',
      'POST',
      'shop',
      '/api/auth/password',
      () => ({ currentPassword: alice.password, newPassword: `new-${alice.password}` }),
    ],
    ['the gateway', 'PUT', 'shop', '/api/cart/items/sku-1', () => ({ quantity: 1 })],
    ['the gateway', 'DELETE', 'shop', '/api/cart', null],
    ['CART', 'PUT', 'shop', '/cart/items/sku-1', () => ({ quantity: 1 })],
  ];

  const refusals: [string, string, (site: Site, csrf: string) => Record<string, string>][] = [
    ['without Origin', 'forbidden_origin', (_site, csrf) => ({ 'x-csrf-token': csrf })],
    ['with a foreign Origin', 'forbidden_origin', (_site, csrf) => csrfHeaders(EVIL, csrf)],
    ['with Origin: null', 'forbidden_origin', (_site, csrf) => csrfHeaders('null', csrf)],
    [
      'with the allowed host on another port',
      'forbidden_origin',
      (site, csrf) => csrfHeaders(`http://${site}.localhost:1`, csrf),
    ],
    [
      'with Sec-Fetch-Site: cross-site despite the allowed Origin and the token',
      'forbidden_origin',
      (site, csrf) => ({ ...csrfHeaders(originOf(site), csrf), 'sec-fetch-site': 'cross-site' }),
    ],
    ['without X-CSRF-Token', 'csrf_failed', (site) => ({ origin: originOf(site) })],
    [
      'with a wrong X-CSRF-Token',
      'csrf_failed',
      (site, csrf) => csrfHeaders(originOf(site), `${csrf}x`),
    ],
    [
      "with another session's X-CSRF-Token",
      'csrf_failed',
      (site) => csrfHeaders(originOf(site), bystander.csrfToken),
    ],
  ];

  function originOf(site: Site): string {
    return site === 'auth' ? sut.auth.origin : sut.shop.origin;
  }

  describe.each(writes)('%s: %s %s', (_service, method, site, template, body) => {
    it.each(refusals)(
      'is refused %s with 403 %s, and nothing changes',
      async (_label, code, headers) => {
        const session = site === 'auth' ? authSession : shopSession;
        const client = template.startsWith('/cart') ? cart : site === 'auth' ? auth : shop;
        const path = template.replace(':own', await sessionHandle(auth, session.jar));

        const response = await client.request({
          method,
          path,
          jar: session.jar.clone(),
          headers: headers(site, session.csrfToken),
          json: body?.(),
        });

        expectProblem(response, 403, code);
        expectStatus(await auth.get('/auth/session', { jar: session.jar }), 200);
        expectStatus(await shop.get('/api/me', { bearer: aliceTokens.accessToken }), 200);
        const after = await cart.get<CartBody>('/cart', { bearer: aliceTokens.accessToken });
        expect(after.json?.items).toEqual([{ sku: 'kept', quantity: 3 }]);
      },
    );
  });

  it('lets a change through with the allowed Origin, the token and Sec-Fetch-Site: same-origin (the control)', async () => {
    const response = await shop.put<CartBody>(
      '/api/cart/items/sku-ok',
      { quantity: 1 },
      {
        jar: shopSession.jar,
        headers: {
          ...csrfHeaders(sut.shop.origin, shopSession.csrfToken),
          'sec-fetch-site': 'same-origin',
        },
      },
    );

    expectStatus(response, 200);
    expect(response.json?.items).toContainEqual({ sku: 'sku-ok', quantity: 1 });
  });
});

describe('OWASP CSRF Prevention Cheat Sheet: login CSRF (register, log in and refresh only from an allowed Origin)', () => {
  interface Attempt {
    body: JsonObject;
    /** Asserts that the refused attempt left no trace. */
    nothingHappened: (response: HttpResponse) => Promise<void>;
  }

  const endpoints: [string, () => Promise<Attempt>][] = [
    [
      '/register',
      async () => {
        const credentials = newCredentials();
        return {
          body: { ...credentials },
          nothingHappened: async () => {
            expectStatus(await auth.post('/auth/register', credentials), 201);
          },
        };
      },
    ],
    [
      '/session',
      async () => ({
        body: { email: alice.email, password: alice.password },
        nothingHappened: async (response) => expect(response.setCookie).toEqual([]),
      }),
    ],
    [
      '/token',
      async () => ({
        body: { email: alice.email, password: alice.password },
        nothingHappened: async (response) => expect(response.text).not.toContain('access_token'),
      }),
    ],
    [
      '/token/refresh',
      async () => {
        const { refreshToken } = await loginWithToken(auth, alice);
        return {
          body: { refresh_token: refreshToken },
          nothingHappened: async () => expectStatus(await refresh(auth, refreshToken), 200),
        };
      },
    ],
  ];

  const refused: [string, Record<string, string>][] = [
    ['a foreign Origin', { origin: EVIL }],
    ['Origin: null', { origin: 'null' }],
    ['Sec-Fetch-Site: cross-site and no Origin', { 'sec-fetch-site': 'cross-site' }],
  ];

  describe.each([
    ['AUTH', '/auth'],
    ['the gateway', '/api/auth'],
  ])('at %s', (_service, basePath) => {
    const client = () => (basePath === '/auth' ? auth : shop);

    describe.each(endpoints)(`POST ${basePath}%s`, (_path, prepare) => {
      const path = `${basePath}${_path}`;

      it.each(refused)('is refused from %s with 403 forbidden_origin', async (_label, headers) => {
        const attempt = await prepare();

        const response = await client().post(path, attempt.body, { headers });

        expectProblem(response, 403, 'forbidden_origin');
        await attempt.nothingHappened(response);
      });

      it.each<[string, () => Record<string, string>]>([
        ['no Origin at all (curl, Postman)', () => ({})],
        ['the SHOP origin', () => ({ origin: sut.shop.origin })],
        [
          'the SHOP origin and Sec-Fetch-Site: same-origin',
          () => ({ origin: sut.shop.origin, 'sec-fetch-site': 'same-origin' }),
        ],
      ])('is allowed with %s', async (_label, headers) => {
        const attempt = await prepare();

        const response = await client().post(path, attempt.body, { headers: headers() });

        expect([200, 201]).toContain(response.status);
      });
    });
  });
});

describe('OWASP CSRF Prevention Cheat Sheet: no "simple request" bodies (415 unsupported_media_type)', () => {
  let tokens: TokenLogin;

  beforeAll(async () => {
    tokens = await loginWithToken(auth, alice);
  });

  const encodings: [string, (json: JsonObject) => string][] = [
    ['text/plain', (json) => JSON.stringify(json)],
    ['text/plain;charset=UTF-8', (json) => JSON.stringify(json)],
    [
      'application/x-www-form-urlencoded',
      (json) => new URLSearchParams(stringValues(json)).toString(),
    ],
    [
      'multipart/form-data; boundary=svt-boundary',
      (json) =>
        Object.entries(stringValues(json))
          .map(
            ([name, value]) =>
              `--svt-boundary\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
          )
          .join('') + '--svt-boundary--\r\n',
    ],
  ];

  function stringValues(json: JsonObject): Record<string, string> {
    return Object.fromEntries(Object.entries(json).map(([key, value]) => [key, String(value)]));
  }

  const targets: [string, () => HttpClient, string, string, () => JsonObject, boolean][] = [
    ['AUTH', () => auth, 'POST', '/auth/register', () => ({ ...newCredentials() }), false],
    [
      'AUTH',
      () => auth,
      'POST',
      '/auth/session',
      () => ({ email: alice.email, password: alice.password }),
      false,
    ],
    [
      'AUTH',
      () => auth,
      'POST',
      '/auth/token',
      () => ({ email: alice.email, password: alice.password }),
      false,
    ],
    ['AUTH', () => auth, 'POST', '/auth/token/refresh', () => ({ refresh_token: 'x' }), false],
    [
      'AUTH',
      () => auth,
      'POST',
      '/auth/password',
      () => ({ currentPassword: alice.password, newPassword: `new-${alice.password}` }),
      true,
    ],
    ['CART', () => cart, 'PUT', '/cart/items/sku-form', () => ({ quantity: 2 }), true],
    [
      'the gateway',
      () => shop,
      'POST',
      '/api/auth/session',
      () => ({ email: alice.email, password: alice.password }),
      false,
    ],
    ['the gateway', () => shop, 'PUT', '/api/cart/items/sku-form', () => ({ quantity: 2 }), true],
  ];

  describe.each(targets)('%s %s %s', (_service, client, method, path, body, bearer) => {
    it.each(encodings)('refuses a %s body with 415', async (contentType, encode) => {
      const response = await client().request({
        method,
        path,
        body: encode(body()),
        headers: { 'content-type': contentType },
        bearer: bearer ? tokens.accessToken : undefined,
      });

      expectProblem(response, 415, 'unsupported_media_type');
      expect(response.setCookie).toEqual([]);
    });
  });

  it('changed nothing: the cart is as it was and the password still logs in', async () => {
    const after = await cart.get<CartBody>('/cart', { bearer: tokens.accessToken });

    expect(after.json?.items).not.toContainEqual(expect.objectContaining({ sku: 'sku-form' }));
    await loginWithToken(auth, alice);
  });
});

describe('OWASP CSRF Prevention Cheat Sheet: no state change on GET', () => {
  let session: SessionLogin;
  let tokens: TokenLogin;

  beforeAll(async () => {
    session = await loginWithSession(auth, alice);
    tokens = await loginWithToken(auth, alice);
  });

  it.each([
    ['AUTH', '/auth/logout-all'],
    ['AUTH', '/auth/logout'],
    ['AUTH', '/auth/token/revoke?refresh_token=:refresh'],
    ['AUTH', '/auth/password?currentPassword=:password&newPassword=changed-by-get'],
    ['AUTH', '/auth/sessions/:handle'],
    ['the gateway', '/api/auth/logout-all'],
    ['the gateway', '/api/auth/token/revoke?refresh_token=:refresh'],
  ])('%s GET %s answers 404 and ends nothing', async (service, template) => {
    const path = template
      .replace(':refresh', encodeURIComponent(tokens.refreshToken))
      .replace(':password', encodeURIComponent(alice.password))
      .replace(':handle', await sessionHandle(auth, session.jar));
    const client = service === 'AUTH' ? auth : shop;

    const response = await client.get(path, {
      jar: session.jar,
      headers: { origin: sut.auth.origin, 'x-csrf-token': session.csrfToken },
    });

    expectProblem(response, 404, 'not_found');
    expectStatus(await auth.get('/auth/session', { jar: session.jar }), 200);
    expectStatus(await cart.get('/cart', { bearer: tokens.accessToken }), 200);
  });

  it('left the refresh token and the password as they were', async () => {
    const next = await refresh(auth, tokens.refreshToken);

    expectStatus(next, 200);
    await loginWithToken(auth, alice);
  });
});

describe('CORS (Fetch Standard §3.2; OWASP HTML5 Security Cheat Sheet): exactly the SHOP origin', () => {
  let tokens: TokenLogin;

  beforeAll(async () => {
    tokens = await loginWithToken(auth, alice);
  });

  const services: [string, () => HttpClient, string][] = [
    ['CART', () => cart, '/cart'],
    ['AUTH', () => auth, '/auth/me'],
  ];

  describe.each(services)('%s', (name, client, path) => {
    it(`answers a request from SHOP with Access-Control-Allow-Origin: SHOP and Vary: Origin`, async () => {
      const response = await client().get(path, {
        bearer: tokens.accessToken,
        headers: { origin: sut.shop.origin },
      });

      expectStatus(response, 200);
      expect(response.headers['access-control-allow-origin']).toBe(sut.shop.origin);
      expect(headerList(response.headers['vary'])).toContain('origin');
    });

    it.each([
      ['a foreign origin', () => EVIL],
      ['Origin: null', () => 'null'],
      ['the SHOP host on another port', () => 'http://shop.localhost:1'],
      ['SHOP over https', () => sut.shop.origin.replace('http:', 'https:')],
      ['a subdomain of SHOP', () => sut.shop.origin.replace('//shop.', '//evil.shop.')],
      ['SHOP as a prefix of another host', () => `${sut.shop.origin}.evil.test`],
      ['SHOP with a trailing slash', () => `${sut.shop.origin}/`],
      ['the upper-cased SHOP origin', () => sut.shop.origin.toUpperCase()],
      ['its own origin', () => (name === 'CART' ? sut.cart.origin : sut.auth.origin)],
    ])('never allows %s, and never answers *', async (_label, origin) => {
      const response = await client().get(path, {
        bearer: tokens.accessToken,
        headers: { origin: origin() },
      });

      expect(response.headers['access-control-allow-origin']).toBeUndefined();
      expect(headerList(response.headers['vary'])).toContain('origin');
    });
  });

  describe('a preflight to CART for PUT /cart/items/x with Authorization', () => {
    const preflight = (origin: string) =>
      cart.options('/cart/items/x', {
        headers: {
          origin,
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'authorization,content-type',
        },
      });

    it('succeeds from SHOP, allowing PUT and the Authorization header', async () => {
      const response = await preflight(sut.shop.origin);

      expect(response.status).toBeGreaterThanOrEqual(200);
      expect(response.status).toBeLessThan(300);
      expect(response.headers['access-control-allow-origin']).toBe(sut.shop.origin);
      expect(headerList(response.headers['access-control-allow-methods'])).toContain('put');
      expect(headerList(response.headers['access-control-allow-headers'])).toContain(
        'authorization',
      );
    });

    it.each([EVIL, 'null'])('gets no Access-Control-Allow-Origin from %s', async (origin) => {
      const response = await preflight(origin);

      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  it('lets a page on SHOP read a 401 from CART: CORS headers on the error, Retry-After exposed', async () => {
    const response = await cart.get('/cart', { headers: { origin: sut.shop.origin } });

    expectProblem(response, 401, 'unauthenticated');
    expect(response.headers['access-control-allow-origin']).toBe(sut.shop.origin);
    expect(headerList(response.headers['vary'])).toContain('origin');
    expect(headerList(response.headers['access-control-expose-headers'])).toContain('retry-after');
  });

  it('lets a page on SHOP read a 429 from AUTH and its Retry-After', async () => {
    const credentials = { email: uniqueEmail(), password: alice.password };
    await auth.post('/auth/register', credentials, { headers: { origin: sut.shop.origin } });

    const response = await auth.post('/auth/register', credentials, {
      headers: { origin: sut.shop.origin },
    });

    expectProblem(response, 429, 'rate_limited');
    expectRetryAfter(response);
    expect(response.headers['access-control-allow-origin']).toBe(sut.shop.origin);
    expect(headerList(response.headers['access-control-expose-headers'])).toContain('retry-after');
  });

  describe('the gateway, same-origin with the page, sends no Access-Control-Allow-Origin at all', () => {
    /** What a browser would send: credentials on requests, none on a preflight. */
    function gatewayRequest(method: string, path: string, origin: string) {
      const preflight = {
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'authorization,content-type',
      };
      return shop.request({
        method,
        path,
        bearer:
          path.startsWith('/api/auth') || method === 'OPTIONS' ? undefined : tokens.accessToken,
        headers: { origin, ...(method === 'OPTIONS' ? preflight : {}) },
        json:
          method === 'POST'
            ? { email: alice.email, password: alice.password }
            : method === 'PUT'
              ? { quantity: 1 }
              : undefined,
      });
    }

    it.each([
      ['GET', '/api/me'],
      ['GET', '/api/cart'],
      ['PUT', '/api/cart/items/sku-cors'],
      ['OPTIONS', '/api/cart/items/sku-cors'],
      ['POST', '/api/auth/token'],
    ])('%s %s from SHOP', async (method, path) => {
      const response = await gatewayRequest(method, path, sut.shop.origin);

      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    });

    it.each([
      ['GET', '/api/me'],
      ['GET', '/api/cart'],
      ['OPTIONS', '/api/cart/items/sku-cors'],
      ['POST', '/api/auth/token'],
    ])('%s %s from a foreign origin', async (method, path) => {
      const response = await gatewayRequest(method, path, EVIL);

      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});
