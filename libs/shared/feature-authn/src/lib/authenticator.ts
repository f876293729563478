import type { FastifyRequest } from 'fastify';
import type { AppError } from '@svt/shared/util-errors';
import type { Identity } from './identity';

/**
 * The answer of one authenticator, in the manner of Ory Oathkeeper:
 * the request carries no credential of its kind, a good one, or a bad one.
 */
export type AuthnResult =
  | { readonly kind: 'not-mine' }
  | { readonly kind: 'authenticated'; readonly identity: Identity }
  | {
      readonly kind: 'rejected';
      readonly reason: RejectionReason;
      readonly tokenPresented: boolean;
      /**
       * The answer, when the authenticator has a more exact one than
       * `invalid_token` or `unauthenticated` (a DPoP refusal, a nonce to use).
       */
      readonly error?: AppError;
    };

/** Stable reason ids, logged with every denial. */
export type RejectionReason =
  | 'malformed_authorization'
  | 'token_invalid'
  | 'token_revoked'
  | 'token_bound'
  | 'bearer_refused'
  | 'dpop_proof_invalid'
  | 'session_unknown'
  | 'bound_cookie_invalid'
  | 'device_binding_missing';

export interface Authenticator {
  readonly name: string;
  authenticate(request: FastifyRequest): Promise<AuthnResult>;
}

export const NOT_MINE: AuthnResult = Object.freeze({ kind: 'not-mine' });
