import { CookieJar } from './cookie-jar';
import { parseSetCookies } from './set-cookie';

const response = (...lines: string[]) => ({ cookies: parseSetCookies(lines) });

describe(CookieJar.name, () => {
  let now: number;
  let jar: CookieJar;

  beforeEach(() => {
    now = Date.UTC(2030, 0, 1);
    jar = new CookieJar(() => now);
  });

  describe('when it is empty', () => {
    it('gives an empty Cookie header', () => {
      expect(jar.header()).toBe('');
    });
  });

  describe('when a response sets cookies', () => {
    it('sends them back as name=value pairs joined by "; "', () => {
      jar.store(
        response('__Host-Http-sid=abc; Path=/; HttpOnly; Secure; SameSite=Lax', 'theme=dark'),
      );
      expect(jar.header()).toBe('__Host-Http-sid=abc; theme=dark');
      expect(jar.get('__Host-Http-sid')).toBe('abc');
    });

    it('replaces a cookie of the same name', () => {
      jar.store(response('sid=old'));
      jar.store(response('sid=new'));
      expect(jar.header()).toBe('sid=new');
    });
  });

  describe('when a response clears a cookie', () => {
    it.each([
      ['with Max-Age=0', 'sid=; Path=/; Max-Age=0'],
      ['with an Expires in the past', 'sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT'],
    ])('removes it %s', (_label, line) => {
      jar.store(response('sid=abc', 'other=1'));
      jar.store(response(line));
      expect(jar.has('sid')).toBe(false);
      expect(jar.header()).toBe('other=1');
    });
  });

  describe('when a cookie expires with time', () => {
    it('stops sending it once Max-Age has passed', () => {
      jar.store(response('short=1; Max-Age=10'));
      now += 9_000;
      expect(jar.header()).toBe('short=1');
      now += 1_000;
      expect(jar.header()).toBe('');
    });
  });

  describe('when a cookie names a Path (RFC 6265 §5.1.4)', () => {
    beforeEach(() => {
      jar.store(response('sid=abc; Path=/', '__Secure-device=d1; Path=/api/auth'));
    });

    it.each([
      ['/api/auth', 'sid=abc; __Secure-device=d1'],
      ['/api/auth/session', 'sid=abc; __Secure-device=d1'],
      ['/api/authority', 'sid=abc'],
      ['/api/me', 'sid=abc'],
      ['/', 'sid=abc'],
    ])('sends to %s only the cookies whose Path matches it', (path, header) => {
      expect(jar.header(path)).toBe(header);
    });

    it('holds them all, and names those it would send to a path', () => {
      expect(jar.names()).toEqual(['sid', '__Secure-device']);
      expect(jar.names('/api/me')).toEqual(['sid']);
    });
  });

  describe('clone', () => {
    it('is independent of the original', () => {
      jar.set('sid', 'abc');
      const copy = jar.clone();
      jar.clear();
      expect(copy.get('sid')).toBe('abc');
      expect(jar.names()).toEqual([]);
    });
  });

  it('can be filled by hand', () => {
    jar.set('a', '1').set('b', '2').delete('a');
    expect(jar.header()).toBe('b=2');
  });
});
