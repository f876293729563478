import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppError } from '@svt/shared/util-errors';
import type { Authenticator } from './authenticator';
import type { AuthnOptions } from './authn.options';
import { AUTHN_OPTIONS } from './authn.options';
import { AUTHENTICATORS } from './authn.tokens';
import { countOutcome } from './authn.metrics';
import { assertCsrfSafe } from './csrf';
import type { Identity } from './identity';

/**
 * The authenticators in their order, run for one request: the first whose
 * answer is not "not mine" decides, and a rejected credential stops the
 * pipeline (no fall-back from a bad Bearer token to the cookie). The global
 * guard runs it for every Nest route not marked `@Public()`; a route served
 * by Fastify directly (the gateway's proxy) calls it itself.
 */
@Injectable()
export class AuthnPipeline {
  private readonly logger = new Logger('Authn');
  private readonly allowedOrigins: ReadonlySet<string>;

  constructor(
    @Inject(AUTHENTICATORS) private readonly authenticators: readonly Authenticator[],
    @Inject(AUTHN_OPTIONS) private readonly options: AuthnOptions,
  ) {
    this.allowedOrigins = new Set(options.allowedOrigins);
  }

  /**
   * The caller's identity, also left on `request.identity`; otherwise throws
   * the `AppError` to answer with (the challenge is the HTTP layer's:
   * `problemHeaders()`).
   */
  async authenticate(request: FastifyRequest): Promise<Identity> {
    for (const authenticator of this.authenticators) {
      const result = await authenticator.authenticate(request);
      if (result.kind === 'not-mine') continue;
      countOutcome(authenticator.name, result.kind);
      if (result.kind === 'rejected') {
        // The path only, as the request log has it: a query string may carry a credential.
        const path = request.url.split('?', 1)[0];
        this.logger.warn({
          msg: `denied: ${authenticator.name}/${result.reason} ${request.method} ${path}`,
          req: { id: request.id },
        });
        throw (
          result.error ??
          (result.tokenPresented
            ? new AppError('invalid_token', 'The token is invalid or expired.')
            : new AppError('unauthenticated', 'The session has ended; log in again.'))
        );
      }
      assertCsrfSafe(request, result.identity, this.allowedOrigins);
      request.identity = result.identity;
      return result.identity;
    }
    countOutcome(null, 'none');
    throw new AppError('unauthenticated', this.options.unauthenticatedDetail);
  }
}
