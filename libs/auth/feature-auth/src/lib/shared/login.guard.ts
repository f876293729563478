import type { ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { AppError } from '@svt/shared/util-errors';
import { createValidationPipe } from '@svt/shared/util-http';
import { AuditLog } from './audit-log';
import { CredentialsDto } from './auth.dto';
import { DeviceCookies } from './device-cookie';
import { ServerKeys } from './server-keys';
import { ThrottleService } from './throttle.service';

const validation = createValidationPipe();

/**
 * The login attempt policy around passport-local (which only checks the
 * password): the body is validated first (guards run before pipes, and
 * passport-local would answer a missing field with a 401); the client's
 * address is limited and a password check is reserved for the account, or
 * for the device when the browser holds the account's device cookie, before
 * any hashing; a failure is audited, a success forgives the reserved attempt.
 * Any failed check is the same `invalid_credentials`.
 */
@Injectable()
export class LoginGuard extends AuthGuard('local') {
  constructor(
    private readonly throttle: ThrottleService,
    private readonly devices: DeviceCookies,
    private readonly keys: ServerKeys,
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
    const { email } = body;
    const ip = request.ip ?? null;
    await this.throttle.limit('login-ip', ip);
    const device = this.devices.deviceOf(request, email);
    const check = await this.throttle.beginPasswordCheck(device ? { device, email } : { email });
    try {
      await super.canActivate(context);
    } catch (error) {
      if (error instanceof AppError && error.code === 'invalid_credentials') {
        this.audit.record('login.failed', {
          account: this.keys.auditAccount(email),
          device: device !== null,
          ip,
        });
        this.throttle.passwordFailed(check, { ip });
      }
      throw error;
    }
    await this.throttle.passwordMatched(check);
    return true;
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false | null): TUser {
    if (error) throw error;
    if (!user) throw new AppError('invalid_credentials', 'The email or password is incorrect.');
    return user;
  }
}
