import { cookieExpiresAt, isClearingCookie, parseSetCookie, parseSetCookies } from './set-cookie';
import type { SetCookie } from './set-cookie';

/** Parses a line the test knows to be valid. */
function validCookie(line: string): SetCookie {
  const parsed = parseSetCookie(line);
  if (parsed === null) throw new Error(`test input is not a cookie: ${line}`);
  return parsed;
}

describe(parseSetCookie.name, () => {
  describe('when the line carries every attribute', () => {
    const raw =
      '__Host-Http-sid=abc_DEF-123; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Max-Age=3600; HttpOnly; Secure; SameSite=Lax';

    it('reads the name, the value and each attribute', () => {
      expect(parseSetCookie(raw)).toEqual({
        name: '__Host-Http-sid',
        value: 'abc_DEF-123',
        path: '/',
        expires: new Date('2037-10-21T07:28:00Z'),
        maxAge: 3600,
        httpOnly: true,
        secure: true,
        sameSite: 'Lax',
        raw,
      });
    });
  });

  describe('when attribute names are in another case and spaced oddly', () => {
    it('reads them case-insensitively', () => {
      const cookie = parseSetCookie(
        'a=b;path=/x ;  HTTPONLY;secure;samesite=strict; domain=example.test',
      );
      expect(cookie).toMatchObject({
        path: '/x',
        httpOnly: true,
        secure: true,
        sameSite: 'strict',
        domain: 'example.test',
      });
    });
  });

  describe('when only the pair is given', () => {
    it('leaves the flags false and the optional attributes out', () => {
      const cookie = parseSetCookie('theme=dark');
      expect(cookie).toEqual({
        name: 'theme',
        value: 'dark',
        httpOnly: false,
        secure: false,
        raw: 'theme=dark',
      });
      expect(cookie).not.toHaveProperty('domain');
    });
  });

  it('keeps "=" inside the value', () => {
    expect(parseSetCookie('t=a=b==; Path=/')?.value).toBe('a=b==');
  });

  it('strips the double quotes RFC 6265 allows around a value', () => {
    expect(parseSetCookie('q="quoted"')?.value).toBe('quoted');
  });

  it('reads an empty value, as a clearing cookie has', () => {
    expect(parseSetCookie('__Host-Http-sid=; Path=/; Max-Age=0')).toMatchObject({
      value: '',
      maxAge: 0,
    });
  });

  it.each([['no-equals-sign'], ['=value-without-name'], ['']])(
    'ignores %j, as a browser does',
    (line) => {
      expect(parseSetCookie(line)).toBeNull();
    },
  );

  it('ignores a Max-Age that is not an integer and an Expires that is not a date', () => {
    const cookie = parseSetCookie('a=b; Max-Age=soon; Expires=never');
    expect(cookie?.maxAge).toBeUndefined();
    expect(cookie?.expires).toBeUndefined();
  });
});

describe(parseSetCookies.name, () => {
  it('parses every line and drops the ones a browser ignores', () => {
    expect(parseSetCookies(['a=1', 'junk', 'b=2']).map((c) => c.name)).toEqual(['a', 'b']);
  });
});

describe(cookieExpiresAt.name, () => {
  const now = Date.UTC(2030, 0, 1);

  it('counts Max-Age from now', () => {
    expect(cookieExpiresAt(validCookie('a=b; Max-Age=60'), now)).toBe(now + 60_000);
  });

  it('lets Max-Age win over Expires', () => {
    const cookie = validCookie('a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60');
    expect(cookieExpiresAt(cookie, now)).toBe(now + 60_000);
  });

  it('is undefined for a session cookie', () => {
    expect(cookieExpiresAt(validCookie('a=b'), now)).toBeUndefined();
  });
});

describe(isClearingCookie.name, () => {
  const now = Date.UTC(2030, 0, 1);

  it.each([
    ['a=; Max-Age=0', true],
    ['a=; Max-Age=-1', true],
    ['a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT', true],
    ['a=b; Max-Age=1', false],
    ['a=b; Expires=Fri, 01 Jan 2100 00:00:00 GMT', false],
    ['a=b', false],
  ])('%s → %s', (line, clearing) => {
    expect(isClearingCookie(validCookie(line), now)).toBe(clearing);
  });
});
