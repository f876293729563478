import type { Identity } from '../identity';

/** A token that passed verification: who it names, and the key that signed it. */
export interface VerifiedToken {
  readonly identity: Identity;
  /** The `kid` of the signing key, so that a cache can drop the token when the key is withdrawn. */
  readonly keyId: string;
}

/**
 * The port every token authenticator verifies through, handed the token its
 * authenticator already extracted. An expected "no" (bad signature, expired,
 * unknown key, missing claim) is `null`; an exception means the verifier could
 * not tell (its keys are stale), and the pipeline fails closed.
 */
export interface TokenVerifier {
  verify(token: string): VerifiedToken | null | Promise<VerifiedToken | null>;
}
