import { Injectable } from '@nestjs/common';
import type { Identity } from '@svt/shared/feature-authn';
import { SignOutService } from '../account/sign-out.service';
import { AuditLog } from '../shared/audit-log';
import type { ClientInfo } from '../shared/request-context';
import { ThrottleService } from '../shared/throttle.service';
import { invalidOtp, notEnabled, SecondFactorService } from './second-factor.service';

/**
 * Turning the second factor off is a privilege change: it takes a code (a
 * stolen session alone cannot do it), and every other session and token
 * family of the user ends, since any of them may be the thief's.
 */
@Injectable()
export class TotpDisableService {
  constructor(
    private readonly factors: SecondFactorService,
    private readonly signOut: SignOutService,
    private readonly throttle: ThrottleService,
    private readonly audit: AuditLog,
  ) {}

  async disable(identity: Identity, code: string, client: ClientInfo): Promise<void> {
    const { userId } = identity;
    if (!(await this.factors.isEnabled(userId))) {
      throw notEnabled('Two-factor authentication is not on.');
    }
    const check = await this.throttle.beginSecondFactorCheck(userId);
    if ((await this.factors.verify(userId, code)) === null) {
      this.throttle.passwordFailed(check, { ip: client.ip });
      throw invalidOtp();
    }
    await this.throttle.passwordMatched(check);
    if (!(await this.factors.disable(userId))) {
      throw notEnabled('Two-factor authentication is not on.');
    }
    const signedOut = await this.signOut.othersThan(userId, identity.sessionId);
    this.audit.record('totp.disabled', {
      userId,
      sessionId: identity.sessionId,
      sessions: signedOut.sessions.length,
      families: signedOut.families.length,
      ip: client.ip,
    });
  }
}
