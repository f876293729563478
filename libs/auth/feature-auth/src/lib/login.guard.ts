import type { ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { AppError, createValidationPipe } from '@svt/shared/util-http';
import { CredentialsDto } from './auth.dto';

const validation = createValidationPipe();

/**
 * Validates the login body first (guards run before pipes, and passport-local
 * would otherwise answer a missing field with a 401), then runs passport-local.
 * Any failed check is the same `invalid_credentials`.
 */
@Injectable()
export class LoginGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    request.body = await validation.transform(request.body, {
      type: 'body',
      metatype: CredentialsDto,
    });
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false | null): TUser {
    if (error) throw error;
    if (!user) throw new AppError('invalid_credentials', 'The email or password is incorrect.');
    return user;
  }
}
