import { cookieExpiresAt } from './set-cookie';
import type { SetCookie } from './set-cookie';

interface StoredCookie {
  value: string;
  /** `Path`, `/` when the cookie named none. */
  path: string;
  expiresAt?: number;
}

/** RFC 6265 §5.1.4: whether a cookie of `cookiePath` goes with a request for `requestPath`. */
function pathMatches(cookiePath: string, requestPath: string): boolean {
  if (requestPath === cookiePath) return true;
  return (
    requestPath.startsWith(cookiePath) &&
    (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/')
  );
}

/**
 * The cookies one browser keeps for one site. Deliberately small: cookies are
 * keyed by name only (no two cookies of this system share a name), none has a
 * `Domain`, and each is sent to the paths its `Path` matches; keep one jar
 * per site, as a browser would.
 */
export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Applies every `Set-Cookie` of a response: sets, replaces, or deletes. */
  store(response: { readonly cookies: readonly SetCookie[] }): this {
    for (const cookie of response.cookies) this.storeCookie(cookie);
    return this;
  }

  /** Applies one `Set-Cookie`; a past expiry or `Max-Age` ≤ 0 deletes the cookie. */
  storeCookie(cookie: SetCookie): this {
    const now = this.clock();
    const expiresAt = cookieExpiresAt(cookie, now);
    if (expiresAt !== undefined && expiresAt <= now) {
      this.cookies.delete(cookie.name);
    } else {
      this.cookies.set(cookie.name, { value: cookie.value, path: cookie.path ?? '/', expiresAt });
    }
    return this;
  }

  /** Puts a cookie in by hand, e.g. to replay one a browser would not send. */
  set(name: string, value: string, path = '/'): this {
    this.cookies.set(name, { value, path });
    return this;
  }

  get(name: string): string | undefined {
    return this.live().get(name);
  }

  has(name: string): boolean {
    return this.live().has(name);
  }

  delete(name: string): this {
    this.cookies.delete(name);
    return this;
  }

  clear(): this {
    this.cookies.clear();
    return this;
  }

  /** Names of the cookies the jar holds now, or of those it would send to `requestPath`. */
  names(requestPath?: string): string[] {
    return [...this.live(requestPath).keys()];
  }

  /**
   * The `Cookie` request header value for a request to `requestPath` (its
   * path, without the query); an empty string when there is nothing to send.
   */
  header(requestPath = '/'): string {
    return [...this.live(requestPath)].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** A copy, e.g. to keep a cookie after the original jar logged out. */
  clone(): CookieJar {
    const copy = new CookieJar(this.clock);
    for (const [name, stored] of this.cookies) copy.cookies.set(name, { ...stored });
    return copy;
  }

  /** The unexpired cookies, all of them or those that go with `requestPath`. */
  private live(requestPath?: string): Map<string, string> {
    const now = this.clock();
    const result = new Map<string, string>();
    for (const [name, { value, path, expiresAt }] of this.cookies) {
      const unexpired = expiresAt === undefined || expiresAt > now;
      if (unexpired && (requestPath === undefined || pathMatches(path, requestPath))) {
        result.set(name, value);
      }
    }
    return result;
  }
}
