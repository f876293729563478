/** The `fetch` signature openid-client's `customFetch` and jose need. */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * A fetch that sends requests for `publicOrigin` (AUTH_ORIGIN, the issuer
 * every URL in AUTH's metadata names) to `internalUrl` (AUTH_URL) instead:
 * `*.localhost` names need not resolve on a server, and in a cluster AUTH is
 * reached by its service name. Any other URL is refused: the relying party
 * talks to AUTH only.
 */
export function internalFetch(
  publicOrigin: string,
  internalUrl: string,
  fetchImpl: FetchLike = fetch,
): FetchLike {
  const origin = new URL(publicOrigin).origin;
  const base = internalUrl.replace(/\/+$/, '');
  return (url, init) => {
    const target = new URL(url);
    if (target.origin !== origin) {
      return Promise.reject(new TypeError(`Refusing to fetch ${target.origin}: not AUTH`));
    }
    return fetchImpl(`${base}${target.pathname}${target.search}`, init);
  };
}
