import { CookieJar } from './cookie-jar';
import { http } from './http-client';
import type { HttpClient, HttpResponse, ServiceAddress } from './http-client';

/** One step of a navigation: the URL asked and how it answered. */
export interface Hop {
  readonly url: string;
  readonly status: number;
}

/** Where a navigation ended, and how it got there. */
export interface Navigation {
  readonly url: string;
  readonly response: HttpResponse;
  readonly hops: readonly Hop[];
}

export interface NavigateOptions {
  /** Stop before asking a URL for which this is true (e.g. a relying party's callback). */
  readonly stopBefore?: (url: URL) => boolean;
  /** A loop guard: more redirects than this fail the test (default 10). */
  readonly maxRedirects?: number;
}

/**
 * A browser as far as cookies and redirects go, over the three sites of the
 * system: one cookie jar per origin (host-only cookies, as every cookie here
 * is), top-level navigations that follow `Location`, and forms that post
 * with the `Origin` a browser sends. No third-party cookies at all, like a
 * browser that blocks them: a request to one site never carries another's.
 */
export class ScriptedBrowser {
  private readonly clients = new Map<string, HttpClient>();
  private readonly jars = new Map<string, CookieJar>();

  constructor(services: readonly ServiceAddress[]) {
    for (const service of services) {
      this.clients.set(service.origin, http(service));
      this.jars.set(service.origin, new CookieJar());
    }
  }

  /** The cookie jar of a site (its origin). */
  jar(origin: string): CookieJar {
    return this.known(origin, this.jars);
  }

  /** One GET, no redirect followed. */
  get(url: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const target = new URL(url);
    return this.known(target.origin, this.clients).get(`${target.pathname}${target.search}`, {
      jar: this.jar(target.origin),
      headers,
    });
  }

  /** A form post from a page of `from` (its `Origin`), no redirect followed. */
  postForm(
    url: string,
    fields: Record<string, string>,
    from: string = new URL(url).origin,
  ): Promise<HttpResponse> {
    const target = new URL(url);
    return this.known(target.origin, this.clients).request({
      method: 'POST',
      path: `${target.pathname}${target.search}`,
      body: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: from },
      jar: this.jar(target.origin),
    });
  }

  /**
   * A top-level navigation: GET `url`, then each `Location` in turn until an
   * answer that is not a redirect (or `stopBefore` says stop).
   */
  async navigate(url: string, options: NavigateOptions = {}): Promise<Navigation> {
    return this.follow(url, await this.get(url), options, []);
  }

  /** Follows the redirect `response` (of `url`) answered, as `navigate` does. */
  async follow(
    url: string,
    response: HttpResponse,
    options: NavigateOptions = {},
    hops: Hop[] = [],
  ): Promise<Navigation> {
    const maxRedirects = options.maxRedirects ?? 10;
    let current = url;
    let answer = response;
    hops.push({ url: current, status: answer.status });
    while (answer.status >= 300 && answer.status < 400 && answer.headers['location']) {
      const next = new URL(answer.headers['location'], current);
      if (options.stopBefore?.(next)) return { url: next.href, response: answer, hops };
      if (hops.length > maxRedirects) {
        throw new Error(
          `more than ${maxRedirects} redirects: ${hops.map((hop) => hop.url).join(' → ')}`,
        );
      }
      current = next.href;
      answer = await this.get(current);
      hops.push({ url: current, status: answer.status });
    }
    return { url: current, response: answer, hops };
  }

  /**
   * Fills AUTH's login page `page` ended on with `credentials`, posts it from
   * AUTH's own origin, and follows where it leads (until `options.stopBefore`).
   */
  async signIn(
    page: Navigation,
    credentials: { readonly email: string; readonly password: string },
    options: NavigateOptions = {},
  ): Promise<Navigation> {
    const posted = await this.postForm(page.url, {
      csrf: loginFormToken(page.response.text),
      email: credentials.email,
      password: credentials.password,
    });
    if (posted.status !== 303) {
      throw new Error(`AUTH's login page answered ${posted.status}: ${posted.text.slice(0, 200)}`);
    }
    return this.follow(page.url, posted, options);
  }

  private known<T>(origin: string, map: Map<string, T>): T {
    const found = map.get(origin);
    if (found === undefined) throw new TypeError(`${origin} is none of the system's sites`);
    return found;
  }
}

/** The hidden CSRF field of AUTH's login page. */
export function loginFormToken(page: string): string {
  const match = /name="csrf" value="([^"]*)"/.exec(page);
  if (!match) throw new TypeError('no login form on this page');
  return match[1];
}
