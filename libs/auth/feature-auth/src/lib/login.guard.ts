import type { ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { AppError, createValidationPipe } from '@svt/shared/util-http';
import { sha256Hex } from '@svt/shared/util-security';
import { AuditLog } from './audit-log';
import { CredentialsDto } from './auth.dto';
import { ThrottleService } from './throttle.service';

const validation = createValidationPipe();

/**
 * The login attempt policy around passport-local (which only checks the
 * password): the body is validated first (guards run before pipes, and
 * passport-local would answer a missing field with a 401), the client's
 * address and the email's back-off are checked before any hashing, and a
 * failure is counted and audited. Any failed check is the same
 * `invalid_credentials`.
 */
@Injectable()
export class LoginGuard extends AuthGuard('local') {
  constructor(
    private readonly throttle: ThrottleService,
    private readonly audit: AuditLog,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const body = (await validation.transform(request.body, {
      type: 'body',
      metatype: CredentialsDto,
    })) as CredentialsDto;
    request.body = body;
    const ip = request.ip ?? null;
    await this.throttle.limit('login-ip', ip ?? 'unknown');
    await this.throttle.assertNotBackedOff(body.email);
    try {
      await super.canActivate(context);
    } catch (error) {
      if (error instanceof AppError && error.code === 'invalid_credentials') {
        this.audit.record('login.failed', { account: sha256Hex(body.email).slice(0, 16), ip });
        await this.throttle.recordFailure(body.email, { ip });
      }
      throw error;
    }
    await this.throttle.recordSuccess(body.email);
    return true;
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false | null): TUser {
    if (error) throw error;
    if (!user) throw new AppError('invalid_credentials', 'The email or password is incorrect.');
    return user;
  }
}
