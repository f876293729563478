import { applyDecorators, SetMetadata, UseFilters, UseGuards } from '@nestjs/common';
import { ACCEPTED_CREDENTIALS } from './authn-kit.tokens';
import type { CredentialName } from './authn-kit.options';
import { AuthenticatedGuard } from './authenticated.guard';
import { AuthnProblemFilter } from './authn-problem.filter';

export interface AuthenticatedOptions {
  /**
   * The credentials the route accepts, in the order they are tried. Each
   * authenticator answers one of three things:
   * - **not mine**: the request carries no credential of its kind: the next one is tried;
   * - **authenticated**: the credential is good: `request.identity` is set
   *   (read it with `@CurrentIdentity()`) and the route runs;
   * - **rejected**: a credential of its kind is there and bad (expired,
   *   forged, revoked, unknown session): 401, and no later authenticator is
   *   tried, so a bad Bearer token never falls back to the cookie.
   *
   * When every one says "not mine": 401 `unauthenticated`.
   */
  readonly accept: readonly CredentialName[];
}

/**
 * Protects a route (or every route of a controller) with the authenticators
 * of `accept`, in that order. Unsafe methods authenticated by the session
 * cookie also need an allowed `Origin` and the session's `X-CSRF-Token`.
 */
export function Authenticated({ accept }: AuthenticatedOptions): MethodDecorator & ClassDecorator {
  if (!Array.isArray(accept) || accept.length === 0) {
    throw new TypeError('@Authenticated: accept must list at least one credential');
  }
  if (new Set(accept).size !== accept.length) {
    throw new TypeError(`@Authenticated: accept lists a credential twice: ${accept.join(', ')}`);
  }
  return applyDecorators(
    SetMetadata(ACCEPTED_CREDENTIALS, Object.freeze([...accept])),
    UseGuards(AuthenticatedGuard),
    UseFilters(AuthnProblemFilter),
  );
}
