const BASE = 'http://return-to.invalid';
const MAX_LENGTH = 2048;

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Where a sign-in may send the browser back: a path of this origin only, so
 * that `return_to` cannot make the service an open redirector (RFC 9700
 * §4.11). Anything else (an absolute URL, a scheme-relative `//host`, a
 * backslash that browsers read as a slash, control characters) gives
 * `fallback`.
 */
export function safeReturnTo(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) {
    return fallback;
  }
  // One leading slash, then not a second one or a backslash: `//evil` and `/\evil` name hosts.
  if (!/^\/(?![/\\])/.test(value) || value.includes('\\') || hasControlCharacter(value)) {
    return fallback;
  }
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== BASE) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}

/**
 * `path` with `sso=<marker>` in its query, e.g. `/?sso=signed_out`: how the
 * page learns that a silent sign-in found no session at AUTH, so that it
 * shows a sign-in link instead of trying again (no redirect loop).
 */
export function withSsoMarker(path: string, marker: string): string {
  const url = new URL(safeReturnTo(path), BASE);
  url.searchParams.set('sso', marker);
  return `${url.pathname}${url.search}${url.hash}`;
}
