import type { FastifyRequest } from 'fastify';
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
    };

/** Stable reason ids, logged with every denial. */
export type RejectionReason =
  | 'malformed_authorization'
  | 'token_invalid'
  | 'token_revoked'
  | 'session_unknown';

export interface Authenticator {
  readonly name: string;
  authenticate(request: FastifyRequest): Promise<AuthnResult>;
}

export const NOT_MINE: AuthnResult = Object.freeze({ kind: 'not-mine' });
