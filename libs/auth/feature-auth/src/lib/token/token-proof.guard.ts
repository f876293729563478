import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { createParamDecorator, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DpopProofChecker } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-errors';

declare module 'fastify' {
  interface FastifyRequest {
    /** The thumbprint of the key a token request proved (RFC 9449 §5), or null without a proof. */
    dpopKey?: string | null;
  }
}

/**
 * The `DPoP` proof of a token request (RFC 9449 §5), checked before the
 * password or refresh token is looked at: a request that will need a nonce
 * costs no password attempt. Without a proof the request goes on unbound,
 * unless DPOP_REQUIRED.
 */
@Injectable()
export class TokenRequestProofGuard implements CanActivate {
  constructor(private readonly proofs: DpopProofChecker) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.headers.dpop === undefined && !this.proofs.required) {
      request.dpopKey = null;
      return true;
    }
    const proven = await this.proofs.check(request, 'token-request');
    if (proven instanceof AppError) throw proven;
    request.dpopKey = proven.jkt;
    return true;
  }
}

/** The key `TokenRequestProofGuard` found proven, or null for an unbound request. */
export const DpopKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | null => {
    const key = context.switchToHttp().getRequest<FastifyRequest>().dpopKey;
    if (key === undefined)
      throw new TypeError('DpopKey used on a route without TokenRequestProofGuard');
    return key;
  },
);
