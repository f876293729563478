import type { AuthnKitOptions } from './authn-kit.options';
import { checkAuthnKitOptions } from './authn-kit.options';

const VALID: AuthnKitOptions = {
  jwksUrl: 'https://auth.example/.well-known/jwks.json',
  issuer: 'https://auth.example',
  audience: 'api',
  sessionStoreUrl: 'redis://127.0.0.1:6379',
  sessionCookieName: '__Host-Http-sid',
  allowedOrigins: ['https://shop.example'],
};

describe(checkAuthnKitOptions.name, () => {
  it('returns the options frozen', () => {
    const checked = checkAuthnKitOptions(VALID);

    expect(checked).toEqual(VALID);
    expect(Object.isFrozen(checked)).toBe(true);
    expect(Object.isFrozen(checked.allowedOrigins)).toBe(true);
  });

  it.each<[string, Partial<AuthnKitOptions>, string]>([
    ['no JWKS URL', { jwksUrl: '' }, 'jwksUrl is required'],
    [
      'a JWKS URL that is not http(s)',
      { jwksUrl: 'ftp://x/jwks' },
      'jwksUrl must be an http(s) URL',
    ],
    ['no issuer', { issuer: ' ' }, 'issuer is required'],
    ['no session store', { sessionStoreUrl: '' }, 'sessionStoreUrl is required'],
    [
      'an allowed origin with a path',
      { allowedOrigins: ['https://shop.example/app'] },
      'allowedOrigins: "https://shop.example/app" is not an origin',
    ],
    [
      'an authenticator under a built-in name',
      { authenticators: { bearer: class {} as never } },
      'authenticators: "bearer" is a built-in credential name',
    ],
  ])('refuses %s with a TypeError saying so', (_label, change, message) => {
    expect(() => checkAuthnKitOptions({ ...VALID, ...change })).toThrow(TypeError);
    expect(() => checkAuthnKitOptions({ ...VALID, ...change })).toThrow(message);
  });

  it('names every problem at once', () => {
    expect(() => checkAuthnKitOptions({ ...VALID, issuer: '', audience: '' })).toThrow(
      'AuthnKitModule.forRoot: issuer is required; audience is required',
    );
  });
});
