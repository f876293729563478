import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '@svt/shared/util-http';
import { AuthnPipeline } from './authn-pipeline';

/**
 * Deny by default: every route not marked @Public() needs an identity from
 * the pipeline (`AuthnPipeline`).
 */
@Injectable()
export class AuthnGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly pipeline: AuthnPipeline,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    await this.pipeline.authenticate(context.switchToHttp().getRequest<FastifyRequest>());
    return true;
  }
}
