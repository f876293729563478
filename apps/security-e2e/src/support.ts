import { createHmac, createPrivateKey, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  decodeJwt,
  epochSeconds,
  expectBearerChallenge,
  expectProblem,
  expectStatus,
  pollUntil,
  randomHex,
} from '@svt/shared/testing';
import type {
  HttpClient,
  HttpResponse,
  JsonObject,
  JwksBody,
  SessionListingBody,
  SystemUnderTest,
  TokenBody,
} from '@svt/shared/testing';
import type { CookieJar } from '@svt/shared/testing';

export { pollUntil, sleep };

/** The exact challenge of a refused token (RFC 6750 §3), the same at every service. */
export const INVALID_TOKEN_CHALLENGE = 'Bearer realm="svt", error="invalid_token"';

/** A refused token: 401 `invalid_token`, the RFC 6750 §3 challenge, no stack trace, never a 500. */
export function expectInvalidToken(response: HttpResponse<unknown>): void {
  expectProblem(response, 401, 'invalid_token');
  expectBearerChallenge(response, true);
  expect(response.headers['www-authenticate']).toBe(INVALID_TOKEN_CHALLENGE);
}

/**
 * How soon a revocation reaches the gateway and CART (docs/authentication.md,
 * "Revoking access tokens"): at once at AUTH, by a push elsewhere (milliseconds on
 * Redis, a 200 ms poll on the embedded default).
 */
export const REVOCATION_PUSH_MS = 1_000;

/**
 * Asks `probe` until it is refused or a revocation has had its second to
 * arrive, and returns the last answer: the caller asserts the refusal.
 */
export function onceRevoked<T extends HttpResponse<unknown>>(probe: () => Promise<T>): Promise<T> {
  return pollUntil(probe, (response) => response.status !== 200, {
    timeoutMs: REVOCATION_PUSH_MS,
    intervalMs: 50,
  });
}

export function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** A compact JWS with whatever header and signature the attack needs. */
export function rawJwt(header: JsonObject, payload: JsonObject, signature = ''): string {
  return `${base64urlJson(header)}.${base64urlJson(payload)}.${signature}`;
}

/** HS256 with `secret` as the HMAC key: the algorithm-confusion attack of RFC 8725 §2.1. */
export function hs256Jwt(header: JsonObject, payload: JsonObject, secret: string): string {
  const input = `${base64urlJson({ ...header, alg: 'HS256' })}.${base64urlJson(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Claims for a token that expires in a minute, from `claims` without any it marks `undefined`. */
export function freshClaims(claims: JsonObject): JsonObject {
  const now = epochSeconds();
  const merged: JsonObject = { iat: now, exp: now + 60, jti: randomHex(16), ...claims };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
}

/** The gateway's identity-token key, which it keeps in DATA_DIR, and the kid it publishes for it. */
export interface GatewayIdentityKey {
  pem: string;
  kid: string;
}

export async function gatewayIdentityKey(
  sut: SystemUnderTest,
  shop: HttpClient,
): Promise<GatewayIdentityKey> {
  const pem = await readFile(join(sut.dataDir, 'gateway-identity-key.pem'), 'utf8');
  const jwks = await shop.get<JwksBody>('/.well-known/jwks.json');
  expectStatus(jwks, 200);
  const kid = jwks.json?.keys[0]?.['kid'];
  if (typeof kid !== 'string') throw new Error('e2e set-up: the gateway publishes no kid');
  return { pem, kid };
}

/**
 * An identity token as the gateway mints it for CART (typ `identity+jwt`, iss
 * SHOP, aud CART), validly signed with the gateway's own key, with `claims`
 * and `header` overriding (an `undefined` claim or header is left out).
 */
export function identityToken(
  sut: SystemUnderTest,
  key: GatewayIdentityKey,
  claims: JsonObject,
  header: JsonObject = {},
): string {
  const payload = freshClaims({
    iss: sut.shop.origin,
    aud: sut.cart.origin,
    amr: ['bearer'],
    ...claims,
  });
  return es256Jwt(payload, key.pem, { typ: 'identity+jwt', kid: key.kid, ...header });
}

/**
 * A compact ES256 JWS with exactly `header` (plus `alg: ES256`; a parameter
 * given as `undefined` is left out, `typ` included), signed with `key`.
 */
export function es256Jwt(payload: JsonObject, key: KeyObject | string, header: JsonObject): string {
  const kept = Object.fromEntries(
    Object.entries(header).filter(([, value]) => value !== undefined),
  );
  const input = `${base64urlJson({ ...kept, alg: 'ES256' })}.${base64urlJson(payload)}`;
  const privateKey = typeof key === 'string' ? createPrivateKey(key) : key;
  // JWS (RFC 7518 §3.4) wants R || S, not the DER Node produces by default.
  const signature = sign('sha256', Buffer.from(input), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

/** The kids AUTH publishes in its JWKS now. */
export async function publishedKids(auth: HttpClient): Promise<string[]> {
  const response = await auth.get<JwksBody>('/.well-known/jwks.json');
  expectStatus(response, 200);
  return (response.json?.keys ?? []).map((key) => String(key['kid']));
}

/** The `kid` of a token's header. */
export function kidOf(token: string): string {
  return String(decodeJwt(token).header['kid']);
}

/** The `sid` claim of an access token: its token family's handle. */
export function sidOf(accessToken: string): string {
  return String(decodeJwt(accessToken).payload['sid']);
}

/** The handle of the cookie session in `jar`, as the caller's own listing names it. */
export async function sessionHandle(auth: HttpClient, jar: CookieJar): Promise<string> {
  const listing = await auth.get<SessionListingBody[]>('/auth/sessions', { jar });
  expectStatus(listing, 200);
  const current = listing.json?.find((row) => row.current);
  if (!current) throw new Error('e2e set-up: the listing has no current session');
  return current.id;
}

/** POST /auth/token/refresh, typed. */
export function refresh(
  client: HttpClient,
  refreshToken: string,
  basePath = '/auth',
): Promise<HttpResponse<TokenBody>> {
  return client.post<TokenBody>(`${basePath}/token/refresh`, { refresh_token: refreshToken });
}

/** `Retry-After` as RFC 9110 §10.2.3 delay-seconds: digits only, at least 1. */
export function expectRetryAfter(response: HttpResponse<unknown>): number {
  const value = response.headers['retry-after'] ?? '';
  expect(value).toMatch(/^\d+$/);
  expect(Number(value)).toBeGreaterThanOrEqual(1);
  return Number(value);
}

/** The audit lines of an output, each parsed: a line that is not JSON fails here. */
export function auditEntries(output: string): JsonObject[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"logger":"audit"'))
    .map((line) => JSON.parse(line) as JsonObject);
}

/** Lower-cased items of a comma-separated header. */
export function headerList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);
}
