import { Injectable } from '@nestjs/common';
import type { User } from '@svt/auth/data-access';
import { EmailVerificationService } from '../email-verification/email-verification.service';
import { AuditLog } from '../shared/audit-log';
import { CredentialsService } from '../shared/credentials.service';
import { ThrottleService } from '../shared/throttle.service';
import type { ClientInfo } from '../shared/request-context';

/**
 * Creates accounts: rate limited per address and per email, audited; the
 * verification link is mailed once the caller has its answer.
 */
@Injectable()
export class RegistrationService {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly throttle: ThrottleService,
    private readonly audit: AuditLog,
    private readonly verification: EmailVerificationService,
  ) {}

  async register(email: string, password: string, client: ClientInfo): Promise<User> {
    await this.throttle.limit('register-ip', client.ip);
    await this.throttle.limit('register-email', email);
    const user = await this.credentials.register(email, password);
    this.audit.record('registration.succeeded', { userId: user.id, ip: client.ip });
    this.verification.sendLinkLater(user);
    return user;
  }
}
