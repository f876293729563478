import type { JWK } from 'jose';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import type { DeviceKey } from '@svt/shared/data-access-sessions';
import type { ProofRefusal } from '@svt/shared/feature-authn';
import { publicP256Point } from '@svt/shared/feature-authn';

/** The `typ` of a DBSC proof. */
export const DBSC_PROOF_TYPE = 'dbsc+jwt';

/**
 * The one algorithm offered and accepted. The draft also allows RS256 and
 * `none`; the registration header offers neither, and a proof in either is
 * refused.
 */
const ALGORITHM = 'ES256';

/** Proofs larger than this are refused unparsed (a registration proof is about 450 bytes). */
const MAX_PROOF_LENGTH = 2048;

/** A proof that passed: the challenge it signs, and at registration the key it was signed with. */
export interface CheckedProof {
  readonly jti: string;
  readonly key: DeviceKey;
}

/**
 * A registration proof: a `dbsc+jwt` signed with ES256 by the public P-256
 * key in its own `jwk` header (a private member refused), carrying the
 * challenge in `jti`. Whether that challenge is live is the caller's check.
 */
export async function checkRegistrationProof(proof: string): Promise<CheckedProof | ProofRefusal> {
  const header = headerOf(proof);
  if ('refused' in header) return header;
  const key = publicP256Point(header.jwk, 'The DBSC registration proof');
  if ('refused' in key) return key;
  return verified(proof, key);
}

/**
 * A refresh proof: a `dbsc+jwt` signed with ES256 by the key registered for
 * the session (a `jwk` it may carry is not used), carrying the challenge in
 * `jti`.
 */
export async function checkRefreshProof(
  proof: string,
  key: DeviceKey,
): Promise<CheckedProof | ProofRefusal> {
  const header = headerOf(proof);
  if ('refused' in header) return header;
  return verified(proof, key);
}

function headerOf(proof: string): { jwk?: unknown } | ProofRefusal {
  if (proof.length > MAX_PROOF_LENGTH) return { refused: 'The DBSC proof is too large.' };
  let header;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    return { refused: 'The DBSC proof is not a well-formed JWS.' };
  }
  if (header.typ !== DBSC_PROOF_TYPE) {
    return { refused: `The DBSC proof's typ must be ${DBSC_PROOF_TYPE}.` };
  }
  if (header.alg !== ALGORITHM) return { refused: `The DBSC proof must be signed with ES256.` };
  return header;
}

async function verified(proof: string, key: DeviceKey): Promise<CheckedProof | ProofRefusal> {
  const jwk: JWK = { kty: 'EC', crv: 'P-256', x: key.x, y: key.y };
  try {
    const { payload } = await jwtVerify(proof, await importJWK(jwk, ALGORITHM), {
      typ: DBSC_PROOF_TYPE,
      algorithms: [ALGORITHM],
      requiredClaims: ['jti'],
    });
    if (typeof payload.jti !== 'string')
      return { refused: "The DBSC proof's jti is not a string." };
    return { jti: payload.jti, key };
  } catch {
    return { refused: 'The DBSC proof is not signed by the session key.' };
  }
}
