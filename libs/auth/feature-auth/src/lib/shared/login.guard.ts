import type { ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { AppError } from '@svt/shared/util-errors';
import { createValidationPipe } from '@svt/shared/util-http';
import { CredentialsDto } from './auth.dto';
import { DeviceCookies } from './device-cookie';
import { ThrottleService } from './throttle.service';

const validation = createValidationPipe();

/**
 * The login attempt policy around passport-local (which only checks the
 * password): the body is validated first (guards run before pipes, and
 * passport-local would answer a missing field with a 401); then
 * `ThrottleService.passwordLogin`, the policy every password login follows,
 * with the device the browser's device cookie proves. Any failed check is
 * the same `invalid_credentials`.
 */
@Injectable()
export class LoginGuard extends AuthGuard('local') {
  constructor(
    private readonly throttle: ThrottleService,
    private readonly devices: DeviceCookies,
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
    await this.throttle.passwordLogin(
      { email, ip: request.ip ?? null, device: this.devices.deviceOf(request, email) },
      async () => super.canActivate(context),
    );
    return true;
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false | null): TUser {
    if (error) throw error;
    if (!user) throw new AppError('invalid_credentials', 'The email or password is incorrect.');
    return user;
  }
}
