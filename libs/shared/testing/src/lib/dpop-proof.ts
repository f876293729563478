import { createHash, randomUUID } from 'node:crypto';
import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';
import type { KeyPair } from 'dpop';
import { SignJWT, exportJWK } from 'jose';
import type { JWK } from 'jose';
import type { TokenBody } from './contract';
import type { Credentials, TokenLogin } from './flows';
import { describeResponse } from './http-client';
import type { HttpClient, HttpResponse, JsonObject, RequestOptions } from './http-client';
import { epochSeconds } from './jwt';

/**
 * DPoP (RFC 9449) from the client's side: a key, proofs for it, and requests
 * that carry them. Well-formed proofs come from the `dpop` package; the ones
 * it refuses to make (another `typ`, HS256, a private `jwk`, no `ath`, an old
 * `iat`) from `craftDpopProof`, which signs exactly what it is given.
 */

/** A client's proof-of-possession key (ES256 unless told otherwise). */
export interface DpopKey {
  readonly keyPair: KeyPair;
  /** The public JWK a proof carries in its header. */
  readonly publicJwk: JWK;
  /** Its RFC 7638 SHA-256 thumbprint: the `cnf.jkt` a bound token names. */
  readonly thumbprint: string;
}

export type DpopAlgorithm = 'ES256' | 'Ed25519' | 'RS256' | 'PS256';

/** A new key pair; its private key is extractable, so that a test can leak it into a proof. */
export async function generateDpopKey(alg: DpopAlgorithm = 'ES256'): Promise<DpopKey> {
  const keyPair = await generateKeyPair(alg, { extractable: true });
  const { kty, crv, x, y, n, e } = await exportJWK(keyPair.publicKey);
  const publicJwk = Object.fromEntries(
    Object.entries({ kty, crv, x, y, n, e }).filter(([, value]) => value !== undefined),
  ) as JWK;
  return { keyPair, publicJwk, thumbprint: await calculateThumbprint(keyPair.publicKey) };
}

/** The key's JWK with its private members (`d`, …): what a proof must never carry. */
export async function privateJwk(key: DpopKey): Promise<JWK> {
  return exportJWK(key.keyPair.privateKey);
}

/** `ath` (RFC 9449 §4.2): base64url(SHA-256(access token)). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

export interface DpopProofClaims {
  htm: string;
  htu: string;
  accessToken?: string;
  nonce?: string;
}

/** A well-formed proof, as a conforming client makes it (a fresh `jti` and `iat`). */
export function dpopProof(key: DpopKey, claims: DpopProofClaims): Promise<string> {
  return generateProof(key.keyPair, claims.htu, claims.htm, claims.nonce, claims.accessToken);
}

export interface CraftedDpopProof {
  htm: string;
  htu: string;
  /** Adds `ath` for it, unless `payload` says otherwise. */
  accessToken?: string;
  /** Header parameters over `{typ: 'dpop+jwt', alg: 'ES256', jwk}`; `undefined` leaves one out. */
  header?: JsonObject;
  /** Claims over `{jti, htm, htu, iat, ath?}`; `undefined` leaves one out. */
  payload?: JsonObject;
  /** Signs with this HMAC secret instead of the key (for an `alg: HS256` header). */
  secret?: Uint8Array;
}

/**
 * A proof with exactly the header and claims the attack needs, signed with
 * the key's private key (or `secret`), whatever the header's `alg` says.
 */
export async function craftDpopProof(key: DpopKey, proof: CraftedDpopProof): Promise<string> {
  const header = defined({
    typ: 'dpop+jwt',
    alg: proof.secret ? 'HS256' : 'ES256',
    jwk: key.publicJwk,
    ...proof.header,
  });
  const payload = defined({
    jti: randomUUID(),
    htm: proof.htm,
    htu: proof.htu,
    iat: epochSeconds(),
    ...(proof.accessToken === undefined ? {} : { ath: accessTokenHash(proof.accessToken) }),
    ...proof.payload,
  });
  if (typeof header['alg'] !== 'string') throw new TypeError('a crafted proof needs an alg');
  return new SignJWT(payload)
    .setProtectedHeader(header as JsonObject & { alg: string })
    .sign(proof.secret ?? key.keyPair.privateKey);
}

/** The headers of a request with `proof`: `Authorization: DPoP <token>` when a token is given. */
export function dpopHeaders(proof: string, accessToken?: string): Record<string, string> {
  return accessToken === undefined
    ? { dpop: proof }
    : { authorization: `DPoP ${accessToken}`, dpop: proof };
}

/** The `htu` of a request to `path` at `client`'s public origin: no query, no fragment. */
export function htuOf(client: HttpClient, path: string): string {
  return `${client.service.origin}${path.split(/[?#]/, 1)[0]}`;
}

export interface DpopRequest extends Omit<RequestOptions, 'bearer'> {
  method: string;
  path: string;
  json?: unknown;
  /** Sent as `Authorization: DPoP`, and hashed into the proof's `ath`. */
  accessToken?: string;
  nonce?: string;
  /** The proof's `htu` when it is not `client`'s origin and `path` (e.g. another replica's name). */
  htu?: string;
}

/** One request with a fresh, well-formed proof for it. */
export async function dpopRequest<T = JsonObject>(
  client: HttpClient,
  key: DpopKey,
  spec: DpopRequest,
): Promise<HttpResponse<T>> {
  const { method, path, json, accessToken, nonce, htu, headers, jar } = spec;
  const proof = await dpopProof(key, {
    htm: method.toUpperCase(),
    htu: htu ?? htuOf(client, path),
    accessToken,
    nonce,
  });
  return client.request<T>({
    method,
    path,
    json,
    jar,
    headers: { ...headers, ...dpopHeaders(proof, accessToken) },
  });
}

/**
 * `dpopRequest`, retried once with the server's nonce when it answers
 * `use_dpop_nonce` (RFC 9449 §8, §9), as a client does.
 */
export async function dpopRequestWithNonce<T = JsonObject>(
  client: HttpClient,
  key: DpopKey,
  spec: DpopRequest,
): Promise<HttpResponse<T>> {
  const first = await dpopRequest<T>(client, key, spec);
  const nonce = first.headers['dpop-nonce'];
  const code = (first.json as { code?: unknown } | undefined)?.code;
  if (nonce === undefined || code !== 'use_dpop_nonce') return first;
  return dpopRequest<T>(client, key, { ...spec, nonce });
}

/**
 * A token login with a proof by `key` (set-up step: throws unless it answers
 * 201 with a token). `basePath` is `/auth` on AUTH and `/api/auth` through the gateway.
 */
export async function loginWithDpop(
  client: HttpClient,
  key: DpopKey,
  credentials: Credentials,
  basePath = '/auth',
): Promise<TokenLogin & { tokenType: string }> {
  const response = await dpopRequestWithNonce<TokenBody>(client, key, {
    method: 'POST',
    path: `${basePath}/token`,
    json: { email: credentials.email, password: credentials.password },
  });
  const body = response.json;
  if (response.status !== 201 || typeof body?.access_token !== 'string') {
    throw new Error(`e2e set-up step "DPoP token login" failed: ${describeResponse(response)}`);
  }
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresIn: body.expires_in,
    tokenType: body.token_type,
    response,
  };
}

/** POST `${basePath}/token/refresh` with a proof by `key` (no nonce retry: the answer is the caller's to check). */
export function refreshWithDpop(
  client: HttpClient,
  key: DpopKey,
  refreshToken: string,
  basePath = '/auth',
): Promise<HttpResponse<TokenBody>> {
  return dpopRequest<TokenBody>(client, key, {
    method: 'POST',
    path: `${basePath}/token/refresh`,
    json: { refresh_token: refreshToken },
  });
}

function defined(record: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
