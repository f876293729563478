import type { ApiResult } from './api.js';
import { callApi, callApiWithProof, isRecord, jsonRequest } from './api.js';
import { bearerHeader } from './jwt.js';

/** A cookie session as the page knows it: the cookie itself is HttpOnly and out of reach. */
export interface SessionInfo {
  readonly email: string;
  /** Whether the address was proven by a link sent to it; `null` when the server does not say. */
  readonly emailVerified: boolean | null;
  readonly csrfToken: string;
  readonly expiresAt: string | null;
  readonly idleExpiresAt: string | null;
  /** Bound to a key of this browser (DBSC), as `GET /session` says; unknown right after a login. */
  readonly deviceBound: boolean | null;
}

/**
 * Both tokens of a token login; the page keeps them in memory only, shared
 * with its other tabs through `token-sync.ts`.
 */
export interface TokenPair {
  /** `Bearer`, or `DPoP` for a token bound to the page's key. */
  readonly tokenType: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
}

export interface LoginInput {
  readonly email: string;
  readonly password: string;
}

/** Which login a second-factor challenge continues: each has its own second-step route. */
export type LoginKind = 'session' | 'token' | 'bound';

/**
 * A login whose password was right, for an account with a second factor: no
 * session or token yet, only a short-lived handle to send with the code.
 */
export interface SecondFactorChallenge {
  readonly kind: LoginKind;
  readonly pendingLogin: string;
  readonly expiresAt: string | null;
  readonly factors: readonly string[];
}

/** A call whose success body has been read into `T`; a malformed body is a server bug. */
export type Parsed<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | Exclude<ApiResult, { kind: 'ok' }>
  | { readonly kind: 'malformed' };

const AUTH = '/api/auth';

export function register(input: LoginInput): Promise<ApiResult> {
  return callApi(`${AUTH}/register`, jsonRequest('POST', input));
}

export async function sessionLogin(input: LoginInput): Promise<Parsed<SessionInfo>> {
  return parsed(await callApi(`${AUTH}/session`, jsonRequest('POST', input)), parseSession);
}

export async function currentSession(): Promise<Parsed<SessionInfo>> {
  return parsed(await callApi(`${AUTH}/session`), parseSession);
}

export function sessionLogout(csrfToken: string | null): Promise<ApiResult> {
  // The CSRF token proves the request comes from a page that could read the
  // session's own answer; the browser adds Origin by itself.
  return callApi(`${AUTH}/session`, {
    method: 'DELETE',
    headers: csrfToken ? { 'X-CSRF-Token': csrfToken } : {},
  });
}

// Token calls carry no cookie: they stand on the tokens alone.
export async function tokenLogin(input: LoginInput): Promise<Parsed<TokenPair>> {
  const init: RequestInit = { ...jsonRequest('POST', input), credentials: 'omit' };
  return parsed(await callApi(`${AUTH}/token`, init), parseTokenPair);
}

export async function tokenRefresh(refreshToken: string): Promise<Parsed<TokenPair>> {
  const init: RequestInit = {
    ...jsonRequest('POST', { refresh_token: refreshToken }),
    credentials: 'omit',
  };
  return parsed(await callApi(`${AUTH}/token/refresh`, init), parseTokenPair);
}

/** A token login with a DPoP proof: the tokens come back bound to the page's key. */
export async function boundTokenLogin(input: LoginInput): Promise<Parsed<TokenPair>> {
  const init: RequestInit = { ...jsonRequest('POST', input), credentials: 'omit' };
  return parsed(await callApiWithProof(`${AUTH}/token`, init, null), parseTokenPair);
}

/** A bound refresh token is refreshed only with a proof by the same key. */
export async function boundTokenRefresh(refreshToken: string): Promise<Parsed<TokenPair>> {
  const init: RequestInit = {
    ...jsonRequest('POST', { refresh_token: refreshToken }),
    credentials: 'omit',
  };
  return parsed(await callApiWithProof(`${AUTH}/token/refresh`, init, null), parseTokenPair);
}

/**
 * The challenge in a login's `second_factor_required` answer (its extension
 * members, RFC 9457 §3.2), or `null` for any other answer.
 */
export function secondFactorChallenge(
  kind: LoginKind,
  result: Parsed<unknown>,
): SecondFactorChallenge | null {
  if (result.kind !== 'problem' || result.problem.code !== 'second_factor_required') return null;
  const { pendingLogin, expiresAt, factors } = result.problem.members;
  if (typeof pendingLogin !== 'string' || pendingLogin === '') return null;
  return {
    kind,
    pendingLogin,
    expiresAt: optionalString(expiresAt),
    factors: Array.isArray(factors) ? factors.filter((f) => typeof f === 'string') : [],
  };
}

/** The second step of a session login: the same answer as a one-step login. */
export async function sessionSecondFactor(
  pendingLogin: string,
  code: string,
): Promise<Parsed<SessionInfo>> {
  const init = jsonRequest('POST', { pendingLogin, code });
  return parsed(await callApi(`${AUTH}/session/second-factor`, init), parseSession);
}

/** The second step of a token login; a bound login proves the same key again. */
export async function tokenSecondFactor(
  pendingLogin: string,
  code: string,
  withProof: boolean,
): Promise<Parsed<TokenPair>> {
  const init: RequestInit = {
    ...jsonRequest('POST', { pendingLogin, code }),
    credentials: 'omit',
  };
  const url = `${AUTH}/token/second-factor`;
  const result = withProof ? await callApiWithProof(url, init, null) : await callApi(url, init);
  return parsed(result, parseTokenPair);
}

/** Who the gateway says the access token's holder is: the call the page makes with it. */
export function whoAmI(accessToken: string): Promise<ApiResult> {
  return callApi('/api/me', {
    credentials: 'omit',
    cache: 'no-store',
    headers: { Authorization: bearerHeader(accessToken) },
  });
}

export function tokenRevoke(refreshToken: string): Promise<ApiResult> {
  const init: RequestInit = {
    ...jsonRequest('POST', { refresh_token: refreshToken }),
    credentials: 'omit',
  };
  return callApi(`${AUTH}/token/revoke`, init);
}

/** `result` with its success body read by `parse`. */
export function parsed<T>(result: ApiResult, parse: (body: unknown) => T | null): Parsed<T> {
  if (result.kind !== 'ok') return result;
  const value = parse(result.body);
  return value === null ? { kind: 'malformed' } : { kind: 'ok', value };
}

function parseSession(body: unknown): SessionInfo | null {
  if (!isRecord(body) || !isRecord(body['user'])) return null;
  const email = body['user']['email'];
  const csrfToken = body['csrfToken'];
  if (typeof email !== 'string' || typeof csrfToken !== 'string') return null;
  const emailVerified = body['user']['emailVerified'];
  return {
    email,
    emailVerified: typeof emailVerified === 'boolean' ? emailVerified : null,
    csrfToken,
    expiresAt: optionalString(body['expiresAt']),
    idleExpiresAt: optionalString(body['idleExpiresAt']),
    deviceBound: typeof body['deviceBound'] === 'boolean' ? body['deviceBound'] : null,
  };
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function parseTokenPair(body: unknown): TokenPair | null {
  if (!isRecord(body)) return null;
  const accessToken = body['access_token'];
  const refreshToken = body['refresh_token'];
  const expiresIn = body['expires_in'];
  const tokenType = body['token_type'];
  if (typeof accessToken !== 'string' || typeof refreshToken !== 'string') return null;
  return {
    tokenType: typeof tokenType === 'string' ? tokenType : 'Bearer',
    accessToken,
    refreshToken,
    expiresIn: typeof expiresIn === 'number' ? expiresIn : 0,
  };
}
