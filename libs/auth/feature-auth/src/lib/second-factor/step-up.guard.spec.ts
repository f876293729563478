import type { ExecutionContext } from '@nestjs/common';
import type { Identity } from '@svt/shared/feature-authn';
import { createLogger } from '@svt/shared/util-http';
import type { AuthConfig } from '../auth.config';
import { AuditLog } from '../shared/audit-log';
import type { SecondFactorService } from './second-factor.service';
import { StepUpGuard } from './step-up.guard';

const NOW = 1_800_000_000_000;
const MAX_AGE = 600;

function contextWith(identity: Identity | undefined): ExecutionContext {
  return {
    switchToHttp: () => ({ getRequest: () => ({ identity }) }),
  } as unknown as ExecutionContext;
}

const identity = (fields: Partial<Identity>): Identity => ({
  userId: 'user-1',
  sessionId: 'session-1',
  method: 'bearer',
  credential: 'bearer',
  expiresAt: NOW + 60_000,
  ...fields,
});

async function guard(totpEnabled: boolean): Promise<StepUpGuard> {
  const logger = await createLogger({ format: 'json', destination: { write: () => undefined } });
  return new StepUpGuard(
    { isEnabled: async () => totpEnabled } as unknown as SecondFactorService,
    { STEP_UP_MAX_AGE: MAX_AGE } as AuthConfig,
    { now: () => NOW },
    new AuditLog(logger),
  );
}

describe(StepUpGuard.name, () => {
  it('lets a user without a second factor through: there is nothing to step up to', async () => {
    await expect(
      (await guard(false)).canActivate(contextWith(identity({ amr: ['pwd'] }))),
    ).resolves.toBe(true);
  });

  it('lets a second factor proved within STEP_UP_MAX_AGE through', async () => {
    const recent = identity({ amr: ['pwd', 'otp'], authTime: NOW - MAX_AGE * 1000 });

    await expect((await guard(true)).canActivate(contextWith(recent))).resolves.toBe(true);
  });

  it.each<[string, Partial<Identity>]>([
    ['a password-only login', { amr: ['pwd'], authTime: NOW }],
    [
      'a second factor older than STEP_UP_MAX_AGE',
      { amr: ['pwd', 'otp'], authTime: NOW - MAX_AGE * 1000 - 1 },
    ],
    ['a credential that says nothing of how it was made', {}],
  ])('refuses %s with step_up_required, naming aal2 and max_age', async (_, fields) => {
    await expect(
      (await guard(true)).canActivate(contextWith(identity(fields))),
    ).rejects.toMatchObject({
      code: 'step_up_required',
      stepUp: { acrValues: 'aal2', maxAgeSeconds: MAX_AGE },
    });
  });

  it('refuses a request without an identity as unauthenticated', async () => {
    await expect((await guard(true)).canActivate(contextWith(undefined))).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });
});
