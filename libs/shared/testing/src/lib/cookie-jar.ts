import { cookieExpiresAt } from './set-cookie';
import type { SetCookie } from './set-cookie';

interface StoredCookie {
  value: string;
  expiresAt?: number;
}

/**
 * The cookies one browser keeps for one site. Deliberately small: cookies are
 * keyed by name only (every cookie in this system has `Path=/` and no
 * `Domain`), so keep one jar per site, as a browser would.
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
      this.cookies.set(cookie.name, { value: cookie.value, expiresAt });
    }
    return this;
  }

  /** Puts a cookie in by hand, e.g. to replay one a browser would not send. */
  set(name: string, value: string): this {
    this.cookies.set(name, { value });
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

  /** Names of the cookies that would be sent now. */
  names(): string[] {
    return [...this.live().keys()];
  }

  /** The `Cookie` request header value; an empty string when there is nothing to send. */
  header(): string {
    return [...this.live()].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** A copy, e.g. to keep a cookie after the original jar logged out. */
  clone(): CookieJar {
    const copy = new CookieJar(this.clock);
    for (const [name, stored] of this.cookies) copy.cookies.set(name, { ...stored });
    return copy;
  }

  private live(): Map<string, string> {
    const now = this.clock();
    const result = new Map<string, string>();
    for (const [name, { value, expiresAt }] of this.cookies) {
      if (expiresAt === undefined || expiresAt > now) result.set(name, value);
    }
    return result;
  }
}
