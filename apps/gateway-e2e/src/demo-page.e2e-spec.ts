import { expectStatus, http, signUp, startSystem } from '@svt/shared/testing';
import type { HttpClient, SignedUpUser, SystemUnderTest } from '@svt/shared/testing';

interface DemoConfig {
  shopOrigin: string;
  apiOrigin: string;
  cartOrigin: string;
  authOrigin: string;
  sessionCookieName: string;
  mailCatcherOrigin?: string;
}

interface Arrived {
  cookie: { names: string[]; headerBytes: number } | null;
  authorization: { scheme: string; headerBytes: number } | null;
}

let sut: SystemUnderTest;
let shop: HttpClient;
let sibling: HttpClient;
let alice: SignedUpUser;

beforeAll(async () => {
  sut = await startSystem();
  shop = http(sut.shop);
  const siblingOrigin = new URL(sut.shop.origin);
  siblingOrigin.hostname = `api.${siblingOrigin.hostname}`;
  sibling = http({ ...sut.shop, origin: siblingOrigin.origin });
  alice = await signUp(shop, '/api/auth');
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

describe('GET / on SHOP', () => {
  it('serves the demo page with a CSP that allows only SHOP, its sibling and CART', async () => {
    const response = await shop.get('/');

    expectStatus(response, 200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    const csp = response.headers['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(
      new RegExp(`connect-src 'self' ${sibling.service.origin} ${sut.cart.origin}(;|$)`),
    );
  });

  it('answers 404 as a problem for a file the page does not have', async () => {
    const response = await shop.get('/demo/nope.js');
    expect(response.status).toBe(404);
    expect(response.json?.['code']).toBe('not_found');
  });
});

describe('GET /demo/config.json', () => {
  it('names the origins the page calls, the session cookie and the mail catcher', async () => {
    const response = await shop.get<DemoConfig>('/demo/config.json');

    expectStatus(response, 200);
    expect(response.json).toEqual({
      shopOrigin: sut.shop.origin,
      apiOrigin: sibling.service.origin,
      cartOrigin: sut.cart.origin,
      authOrigin: sut.auth.origin,
      sessionCookieName: '__Host-Http-sid',
      mailCatcherOrigin: sut.mail.process.origin,
    });
  });
});

describe('GET /api/credentials', () => {
  it('says which cookie and which scheme arrived and their sizes, never their values', async () => {
    const response = await shop.get<Arrived>('/api/credentials', {
      jar: alice.session.jar,
      bearer: alice.tokens.accessToken,
    });

    expectStatus(response, 200);
    expect(response.json?.cookie?.names).toContain('__Host-Http-sid');
    expect(response.json?.authorization).toEqual({
      scheme: 'Bearer',
      headerBytes: `Authorization: Bearer ${alice.tokens.accessToken}`.length,
    });
    expect(response.text).not.toContain(alice.session.sessionId);
    expect(response.text).not.toContain(alice.tokens.accessToken);
  });
});

describe('CORS on the same-site sibling host (api.shop.localhost)', () => {
  const preflight = (client: HttpClient, origin: string) =>
    client.request({
      method: 'OPTIONS',
      path: '/api/me',
      headers: {
        origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });

  it('lets pages from SHOP call it, cookies included', async () => {
    const response = await preflight(sibling, sut.shop.origin);

    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(sut.shop.origin);
    expect(response.headers['access-control-allow-credentials']).toBe('true');
  });

  it('grants nothing to another origin', async () => {
    const response = await preflight(sibling, 'http://evil.localhost');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('grants nothing on SHOP itself, where the page is same-origin', async () => {
    const response = await shop.get('/api/me', {
      bearer: alice.tokens.accessToken,
      headers: { origin: sut.shop.origin },
    });
    expectStatus(response, 200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('authenticates there as on SHOP', async () => {
    const response = await sibling.get('/api/me', { bearer: alice.tokens.accessToken });
    expectStatus(response, 200);
    expect(response.json).toEqual({ userId: alice.user.id, method: 'bearer' });
  });
});
