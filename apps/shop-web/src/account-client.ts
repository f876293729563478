import type { ApiResult } from './api.js';
import { callApi, isRecord, jsonRequest } from './api.js';
import type { Parsed } from './auth-client.js';
import { parsed } from './auth-client.js';
import { bearerHeader } from './jwt.js';

/**
 * The account's own calls at AUTH, through the gateway: the e-mail link
 * routes, the password reset and the second factor.
 */

/**
 * What an account call is made with: the cookie session (its CSRF token in a
 * header, the cookie added by the browser) or an access token (no cookie).
 */
export type AccountCredential =
  | { readonly kind: 'session'; readonly csrfToken: string }
  | { readonly kind: 'bearer'; readonly accessToken: string };

/** The account as `GET /auth/me` describes it. */
export interface Account {
  readonly email: string;
  readonly emailVerified: boolean | null;
  /** How the credential was earned (RFC 8176): `pwd`, and `otp` after a second factor. */
  readonly amr: readonly string[] | null;
  /** `aal1` after a password alone, `aal2` with a second factor. */
  readonly acr: string | null;
}

export interface TotpStatus {
  readonly enabled: boolean;
  readonly pending: boolean;
  readonly recoveryCodesLeft: number;
}

/** A new, unconfirmed authenticator secret and its QR code. */
export interface TotpEnrolment {
  readonly secret: string;
  readonly otpauthUri: string;
  /** A `data:image/svg+xml;base64,…` URL, the only kind the page shows. */
  readonly qrCode: string;
}

/** One row of `GET /auth/sessions`. */
export interface SessionListing {
  readonly method: string;
  readonly createdAt: string;
  readonly current: boolean;
  readonly amr: readonly string[] | null;
}

const AUTH = '/api/auth';

/** The public routes take no credential: the token in the link is the proof. */
export function verifyEmail(token: string): Promise<ApiResult> {
  return callApi(`${AUTH}/email/verify`, jsonRequest('POST', { token }));
}

export function forgotPassword(email: string): Promise<ApiResult> {
  return callApi(`${AUTH}/password/forgot`, jsonRequest('POST', { email }));
}

export function resetPassword(token: string, newPassword: string): Promise<ApiResult> {
  return callApi(`${AUTH}/password/reset`, jsonRequest('POST', { token, newPassword }));
}

export function resendVerification(credential: AccountCredential): Promise<ApiResult> {
  return accountCall(credential, 'POST', '/email/verification', {});
}

export async function account(credential: AccountCredential): Promise<Parsed<Account>> {
  return parsed(await accountCall(credential, 'GET', '/me'), parseAccount);
}

export async function totpStatus(credential: AccountCredential): Promise<Parsed<TotpStatus>> {
  return parsed(await accountCall(credential, 'GET', '/totp'), parseTotpStatus);
}

export async function startTotp(credential: AccountCredential): Promise<Parsed<TotpEnrolment>> {
  return parsed(await accountCall(credential, 'POST', '/totp', {}), parseEnrolment);
}

export async function confirmTotp(
  credential: AccountCredential,
  code: string,
): Promise<Parsed<readonly string[]>> {
  return parsed(
    await accountCall(credential, 'POST', '/totp/confirm', { code }),
    parseRecoveryCodes,
  );
}

export function disableTotp(credential: AccountCredential, code: string): Promise<ApiResult> {
  return accountCall(credential, 'DELETE', '/totp', { code });
}

export async function listSessions(
  credential: AccountCredential,
): Promise<Parsed<readonly SessionListing[]>> {
  return parsed(await accountCall(credential, 'GET', '/sessions'), parseListings);
}

function accountCall(
  credential: AccountCredential,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResult> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (credential.kind === 'session') {
    // Like the logout: the session's CSRF token on every call that changes something.
    if (method !== 'GET') headers['X-CSRF-Token'] = credential.csrfToken;
  } else {
    headers['Authorization'] = bearerHeader(credential.accessToken);
  }
  return callApi(`${AUTH}${path}`, {
    method,
    headers,
    cache: 'no-store',
    credentials: credential.kind === 'session' ? 'same-origin' : 'omit',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

function strings(value: unknown): readonly string[] | null {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : null;
}

function parseAccount(body: unknown): Account | null {
  if (!isRecord(body) || typeof body['email'] !== 'string') return null;
  const { emailVerified, acr } = body;
  return {
    email: body['email'],
    emailVerified: typeof emailVerified === 'boolean' ? emailVerified : null,
    amr: strings(body['amr']),
    acr: typeof acr === 'string' ? acr : null,
  };
}

function parseTotpStatus(body: unknown): TotpStatus | null {
  if (!isRecord(body)) return null;
  const { enabled, pending, recoveryCodesLeft } = body;
  if (typeof enabled !== 'boolean' || typeof recoveryCodesLeft !== 'number') return null;
  return { enabled, pending: pending === true, recoveryCodesLeft };
}

const QR_CODE_PREFIX = 'data:image/svg+xml;base64,';

function parseEnrolment(body: unknown): TotpEnrolment | null {
  if (!isRecord(body)) return null;
  const { secret, otpauthUri, qrCode } = body;
  if (typeof secret !== 'string' || typeof otpauthUri !== 'string') return null;
  // An image URL from the server, but only ever an inline SVG image: never a link elsewhere.
  if (typeof qrCode !== 'string' || !qrCode.startsWith(QR_CODE_PREFIX)) return null;
  return { secret, otpauthUri, qrCode };
}

function parseRecoveryCodes(body: unknown): readonly string[] | null {
  return isRecord(body) ? strings(body['recoveryCodes']) : null;
}

function parseListings(body: unknown): readonly SessionListing[] | null {
  const rows = Array.isArray(body) ? body : isRecord(body) ? body['sessions'] : null;
  if (!Array.isArray(rows)) return null;
  const listings: SessionListing[] = [];
  for (const row of rows) {
    if (!isRecord(row) || typeof row['method'] !== 'string') return null;
    listings.push({
      method: row['method'],
      createdAt: typeof row['createdAt'] === 'string' ? row['createdAt'] : '',
      current: row['current'] === true,
      amr: strings(row['amr']),
    });
  }
  return listings;
}
