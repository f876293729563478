import type { ExecutionContext } from '@nestjs/common';
import { createParamDecorator } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { User } from '@svt/auth/data-access';

/** Who is logging in from where, for the session listing. */
export interface ClientInfo {
  readonly userAgent: string | null;
  readonly ip: string | null;
}

/** The user that passport-local put on the request. */
export const LoggedInUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): User => {
    const user = (
      context.switchToHttp().getRequest<FastifyRequest>() as FastifyRequest & { user?: User }
    ).user;
    if (!user) throw new TypeError('LoggedInUser used on a route without LoginGuard');
    return user;
  },
);

/** User agent and peer address, kept with a session for the user's own listing. */
export const Client = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ClientInfo => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return { userAgent: request.headers['user-agent'] ?? null, ip: request.ip ?? null };
  },
);
