import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { BOUND_COOKIE } from './contract';
import type { CookieJar } from './cookie-jar';
import type { Credentials, SessionLogin } from './flows';
import { loginWithSession } from './flows';
import { describeResponse } from './http-client';
import type { HttpClient, HttpResponse, JsonObject } from './http-client';
import { SfToken, parseSfList, sfString } from './structured-field';

/**
 * Device Bound Session Credentials (W3C DBSC draft) from the browser's side:
 * a key, the proofs it signs, and the registration and refresh requests a
 * browser sends for a cookie session. Proofs are made by `dbscProof`, which
 * signs exactly what it is given, so that a test can forge any of them.
 */

/** Sent by the server on a login (registration offer). */
export const REGISTRATION_HEADER = 'secure-session-registration';
/** Sent by the server with a challenge to sign. */
export const CHALLENGE_HEADER = 'secure-session-challenge';
/** Sent by the browser with its proof. */
export const RESPONSE_HEADER = 'secure-session-response';
/** Sent by the browser to name the session it refreshes. */
export const SESSION_ID_HEADER = 'sec-secure-session-id';

/** The registration instructions (DBSC "session instructions") a successful registration answers. */
export interface DbscInstructionsBody {
  session_identifier: string;
  refresh_url: string;
  scope: { include_site: boolean; scope_specification: unknown[] };
  credentials: { type: string; name: string; attributes: string }[];
  allowed_refresh_initiators: string[];
}

export interface DbscRegistrationOffer {
  /** The algorithms the server accepts, e.g. `['ES256']`. */
  algorithms: string[];
  /** The registration endpoint, resolved against the request that offered it. */
  path: string;
  challenge: string;
}

export interface DbscChallenge {
  challenge: string;
  /** The session it is for; absent when the server did not say. */
  id?: string;
}

/**
 * Parses `Secure-Session-Registration` (a List of Inner Lists of algorithm
 * tokens, with `path` and `challenge`), resolving each relative `path`
 * against `requestPath`, the path of the request it answered.
 */
export function parseRegistrationHeader(
  value: string,
  requestPath: string,
): DbscRegistrationOffer[] {
  return parseSfList(value).map((member) => {
    if (!Array.isArray(member.value)) {
      throw new TypeError(`a registration offer is an inner list of algorithms: ${value}`);
    }
    const { path, challenge } = member.params;
    if (typeof path !== 'string' || typeof challenge !== 'string') {
      throw new TypeError(`a registration offer needs a path and a challenge string: ${value}`);
    }
    return {
      algorithms: member.value.map((item) => tokenText(item.value, value)),
      path: resolvePath(path, requestPath),
      challenge,
    };
  });
}

/** Parses `Secure-Session-Challenge`: a List of challenge Strings, each with an optional `id`. */
export function parseChallengeHeader(value: string): DbscChallenge[] {
  return parseSfList(value).map((member) => {
    const { id } = member.params;
    if (typeof member.value !== 'string' || (id !== undefined && typeof id !== 'string')) {
      throw new TypeError(`a session challenge is a string with a string id: ${value}`);
    }
    return id === undefined ? { challenge: member.value } : { challenge: member.value, id };
  });
}

/** Resolves a URL reference as a browser does (RFC 3986 §5) and keeps the path and query. */
export function resolvePath(reference: string, basePath: string): string {
  const url = new URL(reference, new URL(basePath, 'http://base.invalid'));
  return `${url.pathname}${url.search}`;
}

/** The offer of a login response; throws when it has none. */
export function registrationOffer(response: HttpResponse<unknown>): DbscRegistrationOffer {
  const header = response.headers[REGISTRATION_HEADER];
  const offer =
    header === undefined ? undefined : parseRegistrationHeader(header, response.path)[0];
  if (offer === undefined) {
    throw new Error(`no DBSC registration offer in ${describeResponse(response)}`);
  }
  return offer;
}

/** The challenge a response carries, if any (the first of the list). */
export function challengeOf(response: HttpResponse<unknown>): DbscChallenge | undefined {
  const header = response.headers[CHALLENGE_HEADER];
  return header === undefined ? undefined : parseChallengeHeader(header)[0];
}

export type DbscAlgorithm = 'ES256' | 'RS256';

/** A browser's session key (ES256 unless told otherwise). */
export interface DbscKey {
  readonly alg: DbscAlgorithm;
  readonly privateKey: CryptoKey;
  /** The public JWK a registration proof carries. */
  readonly publicJwk: JWK;
}

/** A new key pair; its private key is extractable, so that a test can leak it into a proof. */
export async function generateDbscKey(alg: DbscAlgorithm = 'ES256'): Promise<DbscKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const { kty, crv, x, y, n, e } = await exportJWK(publicKey);
  const publicJwk = Object.fromEntries(
    Object.entries({ kty, crv, x, y, n, e }).filter(([, member]) => member !== undefined),
  ) as JWK;
  return { alg, privateKey, publicJwk };
}

/** The key's JWK with its private members (`d`, …): what a proof must never carry. */
export function dbscPrivateJwk(key: DbscKey): Promise<JWK> {
  return exportJWK(key.privateKey);
}

export interface DbscProofSpec {
  /** Signed as `jti`. */
  challenge: string;
  /** Puts the public JWK in the header, as a registration proof does. */
  withJwk?: boolean;
  /** Header parameters over `{alg, typ: 'dbsc+jwt', jwk?}`; `undefined` leaves one out; `alg: 'none'` leaves the token unsigned. */
  header?: JsonObject;
  /** Claims over `{jti}`; `undefined` leaves one out. */
  payload?: JsonObject;
  /** Signs with this HMAC secret instead of the key (for an `alg: HS256` header). */
  secret?: Uint8Array;
}

/**
 * A DBSC proof: a `dbsc+jwt` over the challenge, signed with the key (or
 * `secret`) whatever the header's `alg` says.
 */
export async function dbscProof(key: DbscKey, spec: DbscProofSpec): Promise<string> {
  const header = defined({
    alg: spec.secret ? 'HS256' : key.alg,
    typ: 'dbsc+jwt',
    ...(spec.withJwk ? { jwk: key.publicJwk } : {}),
    ...spec.header,
  });
  const payload = defined({ jti: spec.challenge, ...spec.payload });
  if (header['alg'] === 'none') return `${base64urlJson(header)}.${base64urlJson(payload)}.`;
  if (typeof header['alg'] !== 'string') throw new TypeError('a DBSC proof needs an alg');
  return new SignJWT(payload)
    .setProtectedHeader(header as JsonObject & { alg: string })
    .sign(spec.secret ?? key.privateKey);
}

export interface DbscRequestOptions {
  /** The proof to send; a well-formed one when omitted, none when `null`. */
  proof?: string | null;
  /** Extra headers, over those the request would send; `undefined` leaves one out. */
  headers?: Record<string, string | undefined>;
  /** The cookies to send instead of the session's (e.g. a copy kept from before a logout). */
  jar?: CookieJar;
}

/**
 * One browser's DBSC session for the cookie session in `jar`: it registers
 * `key` with the offer of the login, then refreshes the bound cookie, keeping
 * the session's handle, its refresh endpoint and the last challenge it got.
 */
export class DbscSession {
  /** The session's handle (`session_identifier`), once registered. */
  id?: string;
  /** The refresh endpoint, once registered. */
  refreshPath?: string;
  /** The last challenge the server sent, which the next refresh signs. */
  challenge?: string;
  /** The bound cookie's name, as the registration's `credentials` announced it. */
  cookieName?: string;

  constructor(
    readonly client: HttpClient,
    readonly jar: CookieJar,
    readonly key: DbscKey,
    readonly offer: DbscRegistrationOffer,
  ) {}

  /** A well-formed registration proof: the key's public JWK, over `challenge` (the offer's by default). */
  registrationProof(challenge = this.offer.challenge): Promise<string> {
    return dbscProof(this.key, { challenge, withJwk: true });
  }

  /** A well-formed refresh proof over `challenge` (the last one the server sent by default). */
  refreshProof(challenge = this.challenge): Promise<string> {
    if (challenge === undefined) throw new TypeError('no challenge to sign yet');
    return dbscProof(this.key, { challenge });
  }

  /** POSTs the registration; on 200 keeps the handle, the refresh endpoint and the next challenge. */
  async register(options: DbscRequestOptions = {}): Promise<HttpResponse<DbscInstructionsBody>> {
    const proof = options.proof === undefined ? await this.registrationProof() : options.proof;
    const response = await this.client.request<DbscInstructionsBody>({
      method: 'POST',
      path: this.offer.path,
      jar: options.jar ?? this.jar,
      headers: { ...proofHeader(proof), ...options.headers },
    });
    if (response.status === 200 && response.json !== undefined) {
      this.id = response.json.session_identifier;
      this.refreshPath = resolvePath(response.json.refresh_url, this.offer.path);
      this.cookieName = response.json.credentials.find(({ type }) => type === 'cookie')?.name;
      this.keepChallenge(response);
    }
    return response;
  }

  /**
   * One refresh request: with the session's handle and `proof` (by default a
   * proof over the last challenge, or none when there is none). Keeps any
   * challenge the answer carries.
   */
  async refreshOnce(options: DbscRequestOptions = {}): Promise<HttpResponse> {
    if (this.refreshPath === undefined || this.id === undefined) {
      throw new TypeError('refresh before a successful registration');
    }
    const proof =
      options.proof !== undefined
        ? options.proof
        : this.challenge === undefined
          ? null
          : await this.refreshProof();
    const response = await this.client.request({
      method: 'POST',
      path: this.refreshPath,
      jar: options.jar ?? this.jar,
      headers: {
        [SESSION_ID_HEADER]: sfString(this.id),
        ...proofHeader(proof),
        ...options.headers,
      },
    });
    this.keepChallenge(response);
    return response;
  }

  /**
   * A refresh as a browser makes it: with the cached challenge if there is
   * one; on a 403 with a challenge, signs that challenge and sends it again.
   */
  async refresh(): Promise<HttpResponse> {
    const first = await this.refreshOnce();
    if (first.status !== 403 || challengeOf(first) === undefined) return first;
    return this.refreshOnce();
  }

  /** The bound cookie's value now in the jar (by the announced name, else the contract's). */
  boundCookie(): string | undefined {
    return this.jar.get(this.cookieName ?? BOUND_COOKIE);
  }

  private keepChallenge(response: HttpResponse<unknown>): void {
    const next = challengeOf(response);
    if (next !== undefined && (next.id === undefined || next.id === this.id)) {
      this.challenge = next.challenge;
    }
  }
}

export interface DbscLogin {
  login: SessionLogin;
  dbsc: DbscSession;
  registration: HttpResponse<DbscInstructionsBody>;
}

/**
 * A session login that registers `key` (set-up step: throws unless the
 * login offers DBSC and the registration answers 200).
 */
export async function loginWithDbsc(
  client: HttpClient,
  credentials: Credentials,
  basePath = '/auth',
  key?: DbscKey,
): Promise<DbscLogin> {
  const login = await loginWithSession(client, credentials, basePath);
  const dbsc = new DbscSession(
    client,
    login.jar,
    key ?? (await generateDbscKey()),
    registrationOffer(login.response),
  );
  const registration = await dbsc.register();
  if (registration.status !== 200 || dbsc.boundCookie() === undefined) {
    throw new Error(
      `e2e set-up step "DBSC registration" failed: ${describeResponse(registration)}`,
    );
  }
  return { login, dbsc, registration };
}

function proofHeader(proof: string | null): Record<string, string> {
  return proof === null ? {} : { [RESPONSE_HEADER]: sfString(proof) };
}

function tokenText(item: unknown, header: string): string {
  if (!(item instanceof SfToken)) throw new TypeError(`an algorithm is a token: ${header}`);
  return item.value;
}

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function defined(record: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
