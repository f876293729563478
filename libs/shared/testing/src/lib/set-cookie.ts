/** One parsed `Set-Cookie` header line (RFC 6265 §5.2, without the user agent's policy decisions). */
export interface SetCookie {
  name: string;
  value: string;
  path?: string;
  domain?: string;
  /** Seconds; RFC 6265 gives it precedence over `expires`. */
  maxAge?: number;
  expires?: Date;
  httpOnly: boolean;
  secure: boolean;
  /** As sent, e.g. `Lax`; compare case-insensitively. */
  sameSite?: string;
  /** The header line as received. */
  raw: string;
}

/**
 * Parses one `Set-Cookie` header line. Returns `null` for a line a browser
 * would ignore (no `=` in the name-value pair, or an empty name).
 */
export function parseSetCookie(raw: string): SetCookie | null {
  const [pair, ...attributes] = raw.split(';');
  const eq = pair.indexOf('=');
  if (eq < 0) return null;
  const name = pair.slice(0, eq).trim();
  if (name === '') return null;
  const cookie: SetCookie = {
    name,
    value: stripQuotes(pair.slice(eq + 1).trim()),
    httpOnly: false,
    secure: false,
    raw,
  };
  for (const attribute of attributes) {
    const at = attribute.indexOf('=');
    const key = (at < 0 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
    const value = at < 0 ? '' : attribute.slice(at + 1).trim();
    switch (key) {
      case 'path':
        cookie.path = value;
        break;
      case 'domain':
        cookie.domain = value;
        break;
      case 'max-age':
        if (/^-?\d+$/.test(value)) cookie.maxAge = Number(value);
        break;
      case 'expires': {
        const date = new Date(value);
        if (!Number.isNaN(date.getTime())) cookie.expires = date;
        break;
      }
      case 'httponly':
        cookie.httpOnly = true;
        break;
      case 'secure':
        cookie.secure = true;
        break;
      case 'samesite':
        cookie.sameSite = value;
        break;
      default:
        break;
    }
  }
  return cookie;
}

/** Parses every line, dropping the ones a browser would ignore. */
export function parseSetCookies(lines: readonly string[]): SetCookie[] {
  return lines.map(parseSetCookie).filter((c): c is SetCookie => c !== null);
}

/**
 * When the cookie stops being sent, in epoch milliseconds (`undefined`: a
 * session cookie). `Max-Age` wins over `Expires`; `Max-Age` ≤ 0 means now.
 */
export function cookieExpiresAt(cookie: SetCookie, now: number = Date.now()): number | undefined {
  if (cookie.maxAge !== undefined) {
    return cookie.maxAge <= 0 ? Number.NEGATIVE_INFINITY : now + cookie.maxAge * 1000;
  }
  return cookie.expires?.getTime();
}

/** Whether this `Set-Cookie` deletes the cookie rather than setting it. */
export function isClearingCookie(cookie: SetCookie, now: number = Date.now()): boolean {
  const expiresAt = cookieExpiresAt(cookie, now);
  return expiresAt !== undefined && expiresAt <= now;
}

function stripQuotes(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1)
    : value;
}
