import { SessionCookie } from './session-cookie';

describe(SessionCookie.name, () => {
  describe.each([
    [
      'on a secure-context origin, host-only',
      'https://shop.example',
      undefined,
      '__Host-Http-sid',
      '__Host-sid-bound',
    ],
    [
      'on a localhost name, host-only',
      'http://shop.localhost:8080',
      undefined,
      '__Host-Http-sid',
      '__Host-sid-bound',
    ],
    [
      'with a parent Domain',
      'https://shop.example',
      'shop.example',
      '__Http-sid',
      '__Http-sid-bound',
    ],
    ['over plain http', 'http://shop.test:8080', undefined, 'sid', 'sid-bound'],
  ])('%s', (_case, origin, domain, name, boundName) => {
    const cookie = new SessionCookie(origin, { domain, sameSite: 'strict' });

    it(`is named ${name}, its device-bound cookie ${boundName}`, () => {
      expect(cookie.name).toBe(name);
      expect(cookie.boundName).toBe(boundName);
    });

    it('is HttpOnly, on Path=/, Secure wherever it has a prefix', () => {
      expect(cookie.set(60)).toMatchObject({
        httpOnly: true,
        secure: name !== 'sid',
        path: '/',
        maxAge: 60,
      });
      expect(cookie.set(60).domain).toBe(domain);
    });
  });

  it.each([
    ['https://shop.example', undefined, 'Path=/; Secure; HttpOnly; SameSite=Strict'],
    [
      'https://shop.example',
      'shop.example',
      'Path=/; Domain=shop.example; Secure; HttpOnly; SameSite=Strict',
    ],
    ['http://shop.test:8080', undefined, 'Path=/; HttpOnly; SameSite=Strict'],
  ])(
    'spells the attributes of %s (Domain %s) as Set-Cookie writes them',
    (origin, domain, text) => {
      const cookie = new SessionCookie(origin, { domain, sameSite: 'strict' });
      expect(cookie.attributesText()).toBe(text);
    },
  );

  it.each(['strict', 'lax'] as const)(
    'sets and clears with SameSite=%s, as the site asks',
    (sameSite) => {
      const cookie = new SessionCookie('https://cart.example', { sameSite });
      expect(cookie.set(60).sameSite).toBe(sameSite);
      expect(cookie.clear()).toMatchObject({ sameSite, httpOnly: true, secure: true, maxAge: 0 });
    },
  );
});
