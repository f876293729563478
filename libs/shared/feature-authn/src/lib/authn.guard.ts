import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AppError } from '@svt/shared/util-errors';
import type { Authenticator } from './authenticator';
import type { AuthnOptions } from './authn.options';
import { AUTHN_OPTIONS } from './authn.options';
import { AUTHENTICATORS } from './authn.tokens';
import { countOutcome } from './authn.metrics';
import { assertCsrfSafe } from './csrf';
import { IS_PUBLIC } from '@svt/shared/util-http';

/**
 * Deny by default: every route not marked @Public() needs an identity from
 * the pipeline. A rejected credential stops the pipeline (no fall-back from a
 * bad Bearer token to the cookie).
 */
@Injectable()
export class AuthnGuard implements CanActivate {
  private readonly logger = new Logger('Authn');
  private readonly allowedOrigins: ReadonlySet<string>;

  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTHENTICATORS) private readonly authenticators: readonly Authenticator[],
    @Inject(AUTHN_OPTIONS) private readonly options: AuthnOptions,
  ) {
    this.allowedOrigins = new Set(options.allowedOrigins);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    for (const authenticator of this.authenticators) {
      const result = await authenticator.authenticate(request);
      if (result.kind === 'not-mine') continue;
      countOutcome(authenticator.name, result.kind);
      if (result.kind === 'rejected') {
        // The path only, as the request log has it: a query string may carry a credential.
        const path = request.url.split('?', 1)[0];
        this.logger.warn(
          `denied: ${authenticator.name}/${result.reason} ${request.method} ${path}`,
        );
        // The Bearer challenge (RFC 6750 §3) is the HTTP layer's: problemHeaders().
        throw (
          result.error ??
          (result.tokenPresented
            ? new AppError('invalid_token', 'The token is invalid or expired.')
            : new AppError('unauthenticated', 'The session has ended; log in again.'))
        );
      }
      assertCsrfSafe(request, result.identity, this.allowedOrigins);
      request.identity = result.identity;
      return true;
    }
    countOutcome(null, 'none');
    throw new AppError('unauthenticated', this.options.unauthenticatedDetail);
  }
}
