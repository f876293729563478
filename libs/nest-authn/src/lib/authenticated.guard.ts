import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Authenticator, AuthnOptions } from '@svt/shared/feature-authn';
import { AUTHN_OPTIONS, AuthnPipeline } from '@svt/shared/feature-authn';
import { ACCEPTED_CREDENTIALS, AUTHENTICATORS_BY_NAME } from './authn-kit.tokens';

/**
 * Runs the pipeline a route's `@Authenticated({ accept })` names: the
 * authenticators in that order, built once per accept list.
 */
@Injectable()
export class AuthenticatedGuard implements CanActivate {
  private readonly pipelines = new Map<string, AuthnPipeline>();

  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTHENTICATORS_BY_NAME) private readonly byName: ReadonlyMap<string, Authenticator>,
    @Inject(AUTHN_OPTIONS) private readonly options: AuthnOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const accept = this.reflector.getAllAndOverride<readonly string[] | undefined>(
      ACCEPTED_CREDENTIALS,
      [context.getHandler(), context.getClass()],
    );
    if (!accept) throw new TypeError('AuthenticatedGuard is applied by @Authenticated({ accept })');
    await this.pipelineFor(accept).authenticate(
      context.switchToHttp().getRequest<FastifyRequest>(),
    );
    return true;
  }

  private pipelineFor(accept: readonly string[]): AuthnPipeline {
    const key = accept.join(',');
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = new AuthnPipeline(
        accept.map((name) => this.authenticator(name)),
        this.options,
      );
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  private authenticator(name: string): Authenticator {
    const found = this.byName.get(name);
    if (!found) {
      const known = [...this.byName.keys()].join(', ');
      throw new TypeError(
        `@Authenticated: no authenticator "${name}" (configured: ${known}; "dpop" needs the dpop option)`,
      );
    }
    return found;
  }
}
