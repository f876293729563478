import type { FastifyRequest } from 'fastify';
import { AppError } from '@svt/shared/util-errors';
import { BEARER_PROTOCOL_PREFIX, CART_EVENTS_PROTOCOL } from './cart-events.messages';

/** Where the handshake's credential is, before anything is verified. */
export type HandshakeCredential =
  /** An access token offered as the subprotocol `bearer.<token>`. */
  | { readonly kind: 'protocol-token'; readonly token: string }
  /** `Authorization` (a non-browser client) or the session cookie: the pipeline reads the request as it is. */
  | { readonly kind: 'request'; readonly cookieOnly: boolean }
  /** None: the socket opens and waits for an `auth` message. */
  | { readonly kind: 'none' };

/** The subprotocols the client offered (RFC 6455 §4.1: comma-separated tokens). */
export function offeredProtocols(request: FastifyRequest): string[] {
  const header = request.headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header
    .split(',')
    .map((protocol) => protocol.trim())
    .filter((protocol) => protocol !== '');
}

/**
 * Refuses what the handshake must never carry, with an answer that says why
 * (never silently ignored): a query string, where a token would land in
 * access logs and browser history (OWASP WebSocket Security Cheat Sheet); a
 * handshake that does not offer `cart.v1`; two tokens at once.
 */
export function assertWellFormedHandshake(request: FastifyRequest, protocols: string[]): void {
  if (request.url.includes('?')) {
    throw new AppError(
      'bad_request',
      'This WebSocket takes no query string: a credential in the URL lands in logs. Offer the access token as the subprotocol "bearer.<token>", or send it in the first message.',
    );
  }
  if (!protocols.includes(CART_EVENTS_PROTOCOL)) {
    throw new AppError(
      'bad_request',
      `Offer the subprotocol "${CART_EVENTS_PROTOCOL}" (Sec-WebSocket-Protocol).`,
    );
  }
  const tokens = protocols.filter((protocol) => protocol.startsWith(BEARER_PROTOCOL_PREFIX));
  if (tokens.length > 1 || (tokens.length === 1 && request.headers.authorization !== undefined)) {
    throw new AppError('bad_request', 'Send one access token, not several.');
  }
}

/** The credential of a well-formed handshake (see `assertWellFormedHandshake`). */
export function handshakeCredential(
  request: FastifyRequest,
  protocols: string[],
  sessionCookieName: string,
): HandshakeCredential {
  const offered = protocols.find((protocol) => protocol.startsWith(BEARER_PROTOCOL_PREFIX));
  if (offered !== undefined) {
    return { kind: 'protocol-token', token: offered.slice(BEARER_PROTOCOL_PREFIX.length) };
  }
  const hasAuthorization = request.headers.authorization !== undefined;
  const cookie = request.cookies[sessionCookieName];
  const hasCookie = cookie !== undefined && cookie !== '';
  if (!hasAuthorization && !hasCookie) return { kind: 'none' };
  return { kind: 'request', cookieOnly: !hasAuthorization };
}

/**
 * Cross-Site WebSocket Hijacking: a browser sends the cookie on a handshake
 * that any page opens, and the same-origin policy does not apply to
 * WebSockets; only the `Origin` header (which a page cannot forge, and which
 * browsers always send on a handshake) tells the shop's page from another.
 * So a cookie counts only from an allowed Origin, and never from one that
 * Fetch Metadata says is cross-site; no Origin at all is refused too.
 */
export function assertCookieOrigin(
  request: FastifyRequest,
  allowedOrigins: ReadonlySet<string>,
): void {
  const origin = request.headers.origin;
  if (
    origin === undefined ||
    !allowedOrigins.has(origin) ||
    request.headers['sec-fetch-site'] === 'cross-site'
  ) {
    throw new AppError(
      'forbidden_origin',
      'The session cookie opens this WebSocket only from the shop’s own pages (an allowed Origin). Elsewhere, authenticate with an access token.',
    );
  }
}

/**
 * The handshake request as the authenticator pipeline should see it for an
 * access token carried elsewhere (a subprotocol, an `auth` message): its
 * `Authorization: Bearer`, and no cookie or DPoP header to fall back on. The
 * token then meets exactly the checks of an HTTP Bearer request (signature,
 * issuer, audience, `exp`, denylist, DPoP-bound tokens refused).
 */
export function asBearerRequest(request: FastifyRequest, token: string): FastifyRequest {
  const headers: Record<string, string | string[] | undefined> = {
    ...request.headers,
    authorization: `Bearer ${token}`,
  };
  delete headers['cookie'];
  delete headers['dpop'];
  return Object.create(request, {
    headers: { value: headers, enumerable: true },
    cookies: { value: {}, enumerable: true },
    identity: { value: undefined, writable: true, enumerable: true },
  }) as FastifyRequest;
}
