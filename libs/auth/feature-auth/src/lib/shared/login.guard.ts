import type { ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { User } from '@svt/auth/data-access';
import { AppError } from '@svt/shared/util-errors';
import { createValidationPipe } from '@svt/shared/util-http';
import { CredentialsDto } from './auth.dto';
import { CredentialsService } from './credentials.service';
import { DeviceCookies } from './device-cookie';
import { ThrottleService } from './throttle.service';

const validation = createValidationPipe();

/**
 * The login attempt policy around passport-local (which only checks the
 * password): the body is validated first (guards run before pipes, and
 * passport-local would answer a missing field with a 401); then
 * `ThrottleService.passwordLogin`, the policy every password login follows,
 * with the device the browser's device cookie proves. Any failed check is
 * the same `invalid_credentials`; with REQUIRE_VERIFIED_EMAIL a right
 * password for an unverified address is `email_not_verified`.
 */
@Injectable()
export class LoginGuard extends AuthGuard('local') {
  constructor(
    private readonly throttle: ThrottleService,
    private readonly devices: DeviceCookies,
    private readonly credentials: CredentialsService,
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
    // Only once the password matched: the refusal reveals nothing to a guesser.
    const { user } = request as FastifyRequest & { user?: User };
    if (user) this.credentials.assertMayLogIn(user);
    return true;
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false | null): TUser {
    if (error) throw error;
    if (!user) throw new AppError('invalid_credentials', 'The email or password is incorrect.');
    return user;
  }
}
