import type { ExecutionContext } from '@nestjs/common';
import { createParamDecorator } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Identity } from './identity';

/** The identity the AuthnGuard established; only on non-public routes. */
export const CurrentIdentity = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Identity => {
    const identity = context.switchToHttp().getRequest<FastifyRequest>().identity;
    if (!identity) throw new TypeError('CurrentIdentity used on a route without authentication');
    return identity;
  },
);
