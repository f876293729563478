import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import { calculateJwkThumbprint, decodeProtectedHeader, errors, importJWK, jwtVerify } from 'jose';
import { CLOCK_TOLERANCE_SECONDS } from '../verification/jwt-verification';

/** The `typ` of a DPoP proof (RFC 9449 §4.2). */
export const DPOP_PROOF_TYPE = 'dpop+jwt';

/** The one signature algorithm accepted for proofs, as for every token of this system. */
export const DPOP_ALGORITHM = 'ES256';

/** How old a proof's `iat` may be: proofs are made per request, just before it is sent. */
export const DPOP_PROOF_MAX_AGE_SECONDS = 60;

/** Proofs larger than this are refused before any parsing (a P-256 proof is about 500 bytes). */
const MAX_PROOF_LENGTH = 2048;

/** What the request a proof must describe is. */
export interface ProofExpectation {
  /** The request's method, upper case. */
  readonly htm: string;
  /** The URL the client called, without query or fragment (RFC 9449 §4.3). */
  readonly htu: string;
  /** The access token presented with the proof, whose hash `ath` must be; none at a token endpoint. */
  readonly accessToken?: string;
  /** Epoch milliseconds. */
  readonly now: number;
}

/** A proof that passed every check that needs no state. */
export interface CheckedProof {
  /** The RFC 7638 thumbprint of the proof's key: what `cnf.jkt` binds a token to. */
  readonly jkt: string;
  readonly jti: string;
  /** Epoch seconds. */
  readonly iat: number;
  readonly nonce?: string;
}

/** Why a proof was refused, said to the client in the problem's `detail`. */
export type ProofRefusal = { readonly refused: string };

/** A P-256 coordinate, base64url: 32 bytes. */
const COORDINATE = /^[A-Za-z0-9_-]{43}$/;

/** A proof's key as jose imported it, and its RFC 7638 thumbprint. */
interface ProofKey {
  readonly key: Awaited<ReturnType<typeof importJWK>>;
  readonly jkt: string;
}

/**
 * The keys of recent proofs, imported once. A client signs every proof with
 * the same key, and importing its JWK and hashing its thumbprint cost as
 * much as checking the signature: paid once per key, not per request.
 * Keyed by the public point (a P-256 `jwk` has nothing else); at most
 * `maxKeys`, the oldest dropped first.
 */
export class ProofKeyCache {
  private readonly keys = new Map<string, Promise<ProofKey>>();

  constructor(private readonly maxKeys = 10_000) {}

  /** The imported key of the public P-256 point (x, y); rejects when it is not one. */
  get(x: string, y: string): Promise<ProofKey> {
    const id = `${x}.${y}`;
    const known = this.keys.get(id);
    if (known) return known;
    const jwk: JWK = { kty: 'EC', crv: 'P-256', x, y };
    const imported = Promise.all([
      importJWK(jwk, DPOP_ALGORITHM),
      calculateJwkThumbprint(jwk, 'sha256'),
    ]).then(([key, jkt]) => ({ key, jkt }));
    // A point jose refused is not kept.
    imported.catch(() => this.keys.delete(id));
    if (this.keys.size >= this.maxKeys) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(id, imported);
    return imported;
  }
}

const defaultKeys = new ProofKeyCache();

/**
 * The public P-256 point of a proof's `jwk` header, or why there is none:
 * exactly `kty`, `crv`, `x`, `y` (RFC 9449 §4.2, and the DBSC draft alike:
 * a public key; a private member such as `d` is refused, not ignored).
 * `proofName` starts the refusal, e.g. "The DPoP proof".
 */
export function publicP256Point(
  jwk: unknown,
  proofName: string,
): { x: string; y: string } | ProofRefusal {
  if (jwk === null || typeof jwk !== 'object') {
    return { refused: `${proofName} needs its public key in a jwk header.` };
  }
  const { kty, crv, x, y, ...rest } = jwk as Record<string, unknown>;
  if (
    Object.keys(rest).some((member) => member !== 'alg' && member !== 'use' && member !== 'kid')
  ) {
    return { refused: `${proofName}'s jwk must be a public key and nothing more.` };
  }
  if (kty !== 'EC' || crv !== 'P-256' || typeof x !== 'string' || typeof y !== 'string') {
    return { refused: `${proofName}'s jwk must be a P-256 public key (ES256).` };
  }
  if (!COORDINATE.test(x) || !COORDINATE.test(y)) {
    return { refused: `${proofName}'s jwk is not a P-256 point.` };
  }
  return { x, y };
}

function publicPointOf(proof: string): { x: string; y: string } | ProofRefusal {
  let jwk: unknown;
  try {
    jwk = decodeProtectedHeader(proof).jwk;
  } catch {
    return { refused: 'The DPoP proof is not a well-formed JWS.' };
  }
  return publicP256Point(jwk, 'The DPoP proof');
}

/**
 * Checks a DPoP proof (RFC 9449 §4.3) with `jose`, except what needs state
 * (the `jti` replay cache, the nonce): a compact JWS of type `dpop+jwt`,
 * signed with ES256 by the public P-256 key in its own `jwk` header (private
 * members refused), with `jti`, `htm`, `htu` and an `iat` at most 60 s old
 * and not in the future; with an access token, `ath` its SHA-256. The
 * refusal reasons are safe to show.
 */
export async function checkProof(
  proof: string,
  expected: ProofExpectation,
  keys: ProofKeyCache = defaultKeys,
): Promise<CheckedProof | ProofRefusal> {
  if (proof.length > MAX_PROOF_LENGTH) return { refused: 'The DPoP proof is too large.' };
  const point = publicPointOf(proof);
  if ('refused' in point) return point;
  let verified;
  let jkt: string;
  try {
    const proofKey = await keys.get(point.x, point.y);
    jkt = proofKey.jkt;
    verified = await jwtVerify(proof, proofKey.key, {
      typ: DPOP_PROOF_TYPE,
      algorithms: [DPOP_ALGORITHM],
      requiredClaims: ['jti', 'htm', 'htu', 'iat'],
      maxTokenAge: DPOP_PROOF_MAX_AGE_SECONDS,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(expected.now),
    });
  } catch (error) {
    return { refused: describeJoseError(error) };
  }
  const { jti, htm, htu, iat, ath, nonce } = verified.payload as Record<string, unknown>;
  if (typeof jti !== 'string' || jti.length < 16 || jti.length > 256) {
    return { refused: 'The DPoP proof needs a jti of 16 to 256 characters.' };
  }
  if (typeof iat !== 'number') return { refused: 'The DPoP proof needs a numeric iat.' };
  if (htm !== expected.htm) return { refused: `The DPoP proof is not for ${expected.htm}.` };
  if (typeof htu !== 'string' || !sameTargetUri(htu, expected.htu)) {
    return { refused: `The DPoP proof is not for ${expected.htu}.` };
  }
  if (expected.accessToken !== undefined) {
    if (ath !== accessTokenHash(expected.accessToken)) {
      return { refused: "The DPoP proof's ath is not the access token's hash." };
    }
  }
  if (nonce !== undefined && typeof nonce !== 'string') {
    return { refused: 'The DPoP nonce must be a string.' };
  }
  return { jkt, jti, iat, ...(typeof nonce === 'string' ? { nonce } : {}) };
}

/** `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the access token's ASCII. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/**
 * RFC 9449 §4.3 step 9 with RFC 3986 §6.2.2–6.2.3 normalisation: scheme and
 * host compare case-insensitively, default ports and an empty path are
 * dropped, query and fragment ignored.
 */
function sameTargetUri(presented: string, expected: string): boolean {
  let url: URL;
  try {
    url = new URL(presented);
  } catch {
    return false;
  }
  const target = new URL(expected);
  return url.origin === target.origin && url.pathname === target.pathname;
}

/** A client-safe sentence for what jose refused. */
function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired || error instanceof errors.JWTClaimValidationFailed) {
    return error.claim === 'iat'
      ? `The DPoP proof's iat must be within the last ${DPOP_PROOF_MAX_AGE_SECONDS} seconds.`
      : `The DPoP proof's ${error.claim} claim is missing or wrong.`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'The DPoP proof must be signed with ES256.';
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return 'The DPoP proof is not signed by the key in its jwk header.';
  }
  return 'The DPoP proof is not a well-formed dpop+jwt with a public jwk.';
}
