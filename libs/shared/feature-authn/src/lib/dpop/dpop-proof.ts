import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import { calculateJwkThumbprint, EmbeddedJWK, errors, jwtVerify } from 'jose';
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

/**
 * Checks a DPoP proof (RFC 9449 §4.3) with `jose`, except what needs state
 * (the `jti` replay cache, the nonce): a compact JWS of type `dpop+jwt`,
 * signed with ES256 by the public key in its own `jwk` header (a private key
 * there is refused by jose's `EmbeddedJWK`), with `jti`, `htm`, `htu` and an
 * `iat` at most 60 s old and not in the future; with an access token, `ath`
 * its SHA-256. The refusal reasons are safe to show.
 */
export async function checkProof(
  proof: string,
  expected: ProofExpectation,
): Promise<CheckedProof | ProofRefusal> {
  if (proof.length > MAX_PROOF_LENGTH) return { refused: 'The DPoP proof is too large.' };
  let verified;
  try {
    verified = await jwtVerify(proof, EmbeddedJWK, {
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
  const { payload, protectedHeader } = verified;
  const { jti, htm, htu, iat, ath, nonce } = payload as Record<string, unknown>;
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
  const jkt = await calculateJwkThumbprint(protectedHeader.jwk as JWK, 'sha256');
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
