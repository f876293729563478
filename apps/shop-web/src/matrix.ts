import type { Problem } from './api.js';
import type { ApiResult } from './api.js';
import { callApi, callApiWithProof, isRecord } from './api.js';
import type { DemoConfig } from './config.js';
import { bearerHeader } from './jwt.js';

export const CREDENTIALS = ['session', 'bearer', 'dpop'] as const;
export const DESTINATIONS = ['gateway-me', 'gateway-cart', 'cart-direct', 'sibling-me'] as const;

/**
 * `session`: the browser's cookie, no header. `bearer`: the header, no cookie.
 * `dpop`: the bound token's header and a fresh proof for each call, no cookie.
 */
export type Credential = (typeof CREDENTIALS)[number];
export type Destination = (typeof DESTINATIONS)[number];

/** What an echo endpoint says arrived: names and sizes, never values. */
export interface Arrived {
  readonly cookie: { readonly names: readonly string[]; readonly headerBytes: number } | null;
  readonly authorization: { readonly scheme: string; readonly headerBytes: number } | null;
}

/** What the page holds when a run starts. */
export interface Holding {
  readonly accessToken: string | null;
  /** The DPoP-bound access token. */
  readonly boundToken: string | null;
  readonly hasSession: boolean;
}

export interface CellOutcome {
  readonly status: number | 'network-error';
  /** `null` when the echo endpoint could not be read. */
  readonly arrived: Arrived | null;
  readonly cookieSent: boolean;
  readonly authorizationSent: boolean;
  /** The arrived header this row is about: Cookie for `session`, Authorization otherwise. */
  readonly credentialBytes: number;
  readonly why: string;
}

interface Endpoints {
  readonly url: string;
  readonly echoUrl: string;
}

export function isCredential(value: string | undefined): value is Credential {
  return (CREDENTIALS as readonly (string | undefined)[]).includes(value);
}

export function isDestination(value: string | undefined): value is Destination {
  return (DESTINATIONS as readonly (string | undefined)[]).includes(value);
}

export function endpoints(config: DemoConfig, destination: Destination): Endpoints {
  switch (destination) {
    case 'gateway-me':
      return {
        url: `${config.shopOrigin}/api/me`,
        echoUrl: `${config.shopOrigin}/api/credentials`,
      };
    case 'gateway-cart':
      return {
        url: `${config.shopOrigin}/api/cart`,
        echoUrl: `${config.shopOrigin}/api/credentials`,
      };
    case 'cart-direct':
      return { url: `${config.cartOrigin}/cart`, echoUrl: `${config.cartOrigin}/credentials` };
    case 'sibling-me':
      return { url: `${config.apiOrigin}/api/me`, echoUrl: `${config.apiOrigin}/api/credentials` };
  }
}

/** One GET with the row's credential; a bound token gets a proof of its own for each URL. */
function call(url: string, credential: Credential, holding: Holding): Promise<ApiResult> {
  switch (credential) {
    case 'session':
      return callApi(url, { credentials: 'include', cache: 'no-store' });
    case 'bearer':
      return callApi(url, {
        credentials: 'omit',
        cache: 'no-store',
        headers: holding.accessToken ? { Authorization: bearerHeader(holding.accessToken) } : {},
      });
    case 'dpop':
      return holding.boundToken
        ? callApiWithProof(url, { credentials: 'omit', cache: 'no-store' }, holding.boundToken)
        : callApi(url, { credentials: 'omit', cache: 'no-store' });
  }
}

/**
 * Calls `destination` with one credential, then asks the echo endpoint of the
 * same origin, with the same credential, what actually arrived.
 */
export async function probe(
  config: DemoConfig,
  credential: Credential,
  destination: Destination,
  holding: Holding,
): Promise<CellOutcome> {
  const { url, echoUrl } = endpoints(config, destination);
  const real = await call(url, credential, holding);
  const echo = await call(echoUrl, credential, holding);
  const arrived = echo.kind === 'ok' ? parseArrived(echo.body) : null;
  const cookieSent = arrived?.cookie?.names.includes(config.sessionCookieName) ?? false;
  const authorizationSent = arrived?.authorization != null;
  const credentialBytes =
    (credential === 'session'
      ? arrived?.cookie?.headerBytes
      : arrived?.authorization?.headerBytes) ?? 0;
  const status = real.kind === 'network-error' ? 'network-error' : real.status;
  const why = explain({
    credential,
    destination,
    status,
    problem: real.kind === 'problem' ? real.problem : null,
    arrived,
    cookieSent,
    authorizationSent,
    cookieName: config.sessionCookieName,
    shopHost: new URL(config.shopOrigin).hostname,
    host: new URL(url).hostname,
    holding,
  });
  return { status, arrived, cookieSent, authorizationSent, credentialBytes, why };
}

function parseArrived(body: unknown): Arrived | null {
  if (!isRecord(body)) return null;
  const { cookie, authorization } = body;
  const parsedCookie =
    isRecord(cookie) &&
    Array.isArray(cookie['names']) &&
    cookie['names'].every((n) => typeof n === 'string') &&
    typeof cookie['headerBytes'] === 'number'
      ? { names: cookie['names'] as string[], headerBytes: cookie['headerBytes'] }
      : null;
  const parsedAuthorization =
    isRecord(authorization) &&
    typeof authorization['scheme'] === 'string' &&
    typeof authorization['headerBytes'] === 'number'
      ? { scheme: authorization['scheme'], headerBytes: authorization['headerBytes'] }
      : null;
  return { cookie: parsedCookie, authorization: parsedAuthorization };
}

interface Happened {
  readonly credential: Credential;
  readonly destination: Destination;
  readonly status: number | 'network-error';
  readonly problem: Problem | null;
  readonly arrived: Arrived | null;
  readonly cookieSent: boolean;
  readonly authorizationSent: boolean;
  readonly cookieName: string;
  readonly shopHost: string;
  /** The destination's host. */
  readonly host: string;
  readonly holding: Holding;
}

/** One sentence saying why the cell came out as it did, from what happened. */
export function explain(h: Happened): string {
  if (h.status === 'network-error') {
    return `The page got no answer it may read from ${h.host}: CORS refused this origin, or the server is down.`;
  }
  if (!h.arrived) {
    return `The echo on ${h.host} could not be read, so what arrived there is unknown.`;
  }
  switch (h.credential) {
    case 'session':
      return explainSession(h);
    case 'bearer':
      return explainBearer(h);
    case 'dpop':
      return explainBound(h);
  }
}

function explainSession(h: Happened): string {
  const ok = isSuccess(h.status);
  if (h.cookieSent) {
    if (h.status === 401) {
      return `The ${h.cookieName} cookie arrived, but it names no live session (logged out or expired).`;
    }
    if (!ok) return `The ${h.cookieName} cookie arrived; the server still refused: ${detail(h)}`;
    if (h.host !== h.shopHost) {
      return `Domain=… on the ${h.cookieName} cookie covers ${h.host}, so the browser sends it to this host of the same site too.`;
    }
    if (h.destination === 'gateway-cart') {
      return `The cookie went back to ${h.shopHost}, which set it; the gateway checked it and handed the cart a verified identity instead.`;
    }
    return `The cookie goes back to ${h.shopHost}, the host that set it, so the gateway found the session.`;
  }
  if (site(h.host) !== site(h.shopHost)) {
    return `${h.host} is another site: the browser keeps the shop's cookie to ${h.shopHost}.`;
  }
  if (h.host !== h.shopHost && h.cookieName.startsWith('__Host-')) {
    return `A __Host- cookie is host-only: ${h.host} is the same site but another host.`;
  }
  if (!h.holding.hasSession) {
    return 'There is no session yet, so there is no cookie to send: log in with a session first.';
  }
  if (h.host !== h.shopHost) {
    return `The cookie was set without Domain, so it is host-only: ${h.host} is the same site but another host.`;
  }
  return `The browser sent no ${h.cookieName} cookie: it has expired or been cleared.`;
}

function explainBearer(h: Happened): string {
  if (!h.holding.accessToken) {
    return 'No access token in memory, so there is no header to send: log in with tokens first.';
  }
  if (!h.authorizationSent) {
    return `The Authorization header did not reach ${h.host}: something on the way removed it.`;
  }
  if (isSuccess(h.status)) {
    return "A header is sent wherever the page's code sends it; CORS decides whether the page may read the answer.";
  }
  if (h.status === 401) return `The header arrived, but the token was refused: ${detail(h)}`;
  return `The header arrived; the server still refused: ${detail(h)}`;
}

function explainBound(h: Happened): string {
  if (!h.holding.boundToken) {
    return 'No bound token in memory, so there is no header to send: log in with a bound token first.';
  }
  if (!h.authorizationSent) {
    return `The Authorization header did not reach ${h.host}: something on the way removed it.`;
  }
  if (isSuccess(h.status)) {
    return `The token went with a proof for this very URL, signed by the page's key: ${h.host} checked both.`;
  }
  if (h.status === 401) return `The token and its proof arrived, but were refused: ${detail(h)}`;
  return `The token and its proof arrived; the server still refused: ${detail(h)}`;
}

function isSuccess(status: number | 'network-error'): boolean {
  return typeof status === 'number' && status >= 200 && status < 300;
}

function detail(h: Happened): string {
  return h.problem?.detail ?? `HTTP ${String(h.status)}.`;
}

/**
 * The registrable part of a host name, approximated by its last two labels:
 * right for `*.localhost` and `example.com` names, wrong for public suffixes
 * such as `co.uk`. The page has no Public Suffix List, and needs none for the lab.
 */
function site(host: string): string {
  if (/^[\d.]+$/.test(host) || host.includes(':')) return host;
  return host.split('.').slice(-2).join('.');
}

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** "200 OK", "401 Unauthorized", "network error". */
export function describeStatus(status: number | 'network-error'): string {
  if (status === 'network-error') return 'network error';
  const reason = REASONS[status];
  return reason ? `${status} ${reason}` : String(status);
}

/** "Cookie: __Host-Http-sid, 59 bytes", "Authorization: Bearer, 512 bytes", "nothing". */
export function describeArrived(arrived: Arrived | null): string {
  if (!arrived) return 'unknown (the echo could not be read)';
  const parts: string[] = [];
  if (arrived.cookie) {
    parts.push(`Cookie: ${arrived.cookie.names.join('; ')}, ${arrived.cookie.headerBytes} bytes`);
  }
  if (arrived.authorization) {
    parts.push(
      `Authorization: ${arrived.authorization.scheme}, ${arrived.authorization.headerBytes} bytes`,
    );
  }
  return parts.length ? parts.join(' and ') : 'nothing';
}
