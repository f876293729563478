import { pageCors } from './page-cors';

describe(pageCors.name, () => {
  it('admits the one origin, with Bearer and JSON, and lets the page read why and when to retry', () => {
    expect(
      pageCors('http://shop.localhost:8080', { credentials: false, methods: ['GET', 'POST'] }),
    ).toEqual({
      origin: ['http://shop.localhost:8080'],
      credentials: false,
      methods: ['GET', 'POST'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      exposedHeaders: ['Retry-After', 'WWW-Authenticate'],
      maxAge: 600,
    });
  });

  it('allows the extra request headers after the usual two', () => {
    const cors = pageCors('https://shop.example', {
      credentials: true,
      methods: ['PUT'],
      extraHeaders: ['X-CSRF-Token'],
    });
    expect(cors.allowedHeaders).toEqual(['Authorization', 'Content-Type', 'X-CSRF-Token']);
    expect(cors.credentials).toBe(true);
  });
});
