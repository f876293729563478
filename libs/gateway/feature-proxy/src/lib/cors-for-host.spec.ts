import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { pageCors } from '@svt/shared/util-http';
import { corsForHost } from './cors-for-host';

const SHOP = 'http://shop.test';
const SIBLING = 'api.shop.test';

describe(corsForHost.name, () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify();
    await corsForHost(
      app,
      SIBLING,
      pageCors(SHOP, {
        credentials: true,
        methods: ['GET', 'PUT'],
        extraHeaders: ['X-CSRF-Token'],
      }),
    );
    app.get('/api/me', async () => ({ ok: true }));
    await app.ready();
  });

  afterAll(() => app.close());

  it('lets the shop page read an answer under the sibling name, cookies included', async () => {
    const response = await app.inject({
      url: '/api/me',
      headers: { host: SIBLING, origin: SHOP },
    });
    expect(response.headers).toMatchObject({
      'access-control-allow-origin': SHOP,
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
  });

  it('grants no other origin', async () => {
    const response = await app.inject({
      url: '/api/me',
      headers: { host: SIBLING, origin: 'http://evil.test' },
    });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("answers a preflight under the sibling name with the page's methods and headers", async () => {
    const response = await app.inject({
      method: 'OPTIONS',
      url: '/api/me',
      headers: {
        host: SIBLING,
        origin: SHOP,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'x-csrf-token',
      },
    });
    expect(response.statusCode).toBe(204);
    expect(response.headers).toMatchObject({
      'access-control-allow-origin': SHOP,
      'access-control-allow-methods': 'GET, PUT',
      'access-control-max-age': '600',
    });
    expect(response.headers['access-control-allow-headers']).toContain('X-CSRF-Token');
  });

  it('does nothing under any other name: no CORS header, no preflight', async () => {
    const simple = await app.inject({
      url: '/api/me',
      headers: { host: 'shop.test', origin: SHOP },
    });
    expect(simple.statusCode).toBe(200);
    expect(
      Object.keys(simple.headers).filter((name) => /^access-control-|^vary$/.test(name)),
    ).toEqual([]);
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/me',
      headers: { host: 'shop.test', origin: SHOP, 'access-control-request-method': 'PUT' },
    });
    expect(preflight.statusCode).toBe(404);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});
