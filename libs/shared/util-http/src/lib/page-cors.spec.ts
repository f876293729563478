import { pageCors } from './page-cors';

describe(pageCors.name, () => {
  it('admits the one origin, with an access token (Bearer or DPoP) and JSON, and lets the page read why, the next nonce and when to retry', () => {
    expect(
      pageCors('http://shop.localhost:8080', { credentials: false, methods: ['GET', 'POST'] }),
    ).toEqual({
      origin: ['http://shop.localhost:8080'],
      credentials: false,
      methods: ['GET', 'POST'],
      allowedHeaders: ['Authorization', 'Content-Type', 'DPoP'],
      exposedHeaders: ['Retry-After', 'WWW-Authenticate', 'DPoP-Nonce'],
      maxAge: 600,
    });
  });

  it('allows the extra request headers after the usual three', () => {
    const cors = pageCors('https://shop.example', {
      credentials: true,
      methods: ['PUT'],
      extraHeaders: ['X-CSRF-Token'],
    });
    expect(cors.allowedHeaders).toEqual(['Authorization', 'Content-Type', 'DPoP', 'X-CSRF-Token']);
    expect(cors.credentials).toBe(true);
  });
});
