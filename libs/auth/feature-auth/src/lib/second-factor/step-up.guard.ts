import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Inject, Injectable, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Identity } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-errors';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';
import { AuditLog } from '../shared/audit-log';
import { SecondFactorService } from './second-factor.service';

/** The `acr` a stepped-up login has (RFC 9470 §3 `acr_values`). */
export const STEP_UP_ACR = 'aal2';

/**
 * Step-up authentication (RFC 9470): for a user with a second factor, the
 * route needs a login that proved it (`otp` in the identity's amr) within
 * STEP_UP_MAX_AGE; otherwise 401 `step_up_required`, whose challenge says
 * `error="insufficient_user_authentication"` with the `acr_values` and
 * `max_age` that would do. Users without a second factor pass: there is
 * nothing to step up to. Runs after the global authentication guard.
 */
@Injectable()
export class StepUpGuard implements CanActivate {
  constructor(
    private readonly factors: SecondFactorService,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const identity = context.switchToHttp().getRequest<FastifyRequest>().identity;
    if (!identity) throw new AppError('unauthenticated');
    if (!(await this.factors.isEnabled(identity.userId))) return true;
    if (this.isRecentSecondFactor(identity)) return true;
    this.audit.record('step_up.required', {
      userId: identity.userId,
      sessionId: identity.sessionId,
      amr: (identity.amr ?? []).join(' '),
    });
    const maxAgeSeconds = this.config.STEP_UP_MAX_AGE;
    throw new AppError(
      'step_up_required',
      `This needs a second factor proved within the last ${maxAgeSeconds} seconds: log in again with the code.`,
      {
        stepUp: { acrValues: STEP_UP_ACR, maxAgeSeconds },
        extensions: { acrValues: STEP_UP_ACR, maxAge: maxAgeSeconds },
      },
    );
  }

  private isRecentSecondFactor(identity: Identity): boolean {
    return (
      identity.amr?.includes('otp') === true &&
      identity.authTime !== undefined &&
      this.clock.now() - identity.authTime <= this.config.STEP_UP_MAX_AGE * 1000
    );
  }
}

/** Puts a route behind `StepUpGuard`. */
export const RequireStepUp = (): MethodDecorator & ClassDecorator => UseGuards(StepUpGuard);
