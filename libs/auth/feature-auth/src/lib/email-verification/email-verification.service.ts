import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AccountTokenRepository, User, UserRepository } from '@svt/auth/data-access';
import { ACCOUNT_TOKEN_REPOSITORY, USER_REPOSITORY } from '@svt/auth/data-access';
import { AppError } from '@svt/shared/util-errors';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK, randomSecret, sha256Hex } from '@svt/shared/util-security';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';
import { AccountMail } from '../mail/account-mail';
import { verificationLink, verificationMail } from '../shared/account-links';
import { AuditLog } from '../shared/audit-log';
import { CredentialsService } from '../shared/credentials.service';
import type { PublicUser } from '../shared/public-user';
import { publicUser } from '../shared/public-user';
import { ThrottleService } from '../shared/throttle.service';

const INVALID = 'The verification link is invalid, used or expired. Ask for a new one.';

/**
 * E-mail verification: a single-use 256-bit link mailed at registration (and
 * on request), stored only as its SHA-256 hash, that proves the owner reads
 * the mailbox (OWASP ASVS 5.0 §6.4).
 */
@Injectable()
export class EmailVerificationService {
  private readonly logger = new Logger(EmailVerificationService.name);

  constructor(
    @Inject(ACCOUNT_TOKEN_REPOSITORY) private readonly tokens: AccountTokenRepository,
    @Inject(USER_REPOSITORY) private readonly users: UserRepository,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly credentials: CredentialsService,
    private readonly throttle: ThrottleService,
    private readonly mail: AccountMail,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Issues a link and mails it, after the caller has answered: a failure is
   * logged, never thrown into the request.
   */
  sendLinkLater(user: Pick<User, 'id' | 'email'>): void {
    setImmediate(() => {
      this.sendLink(user).catch((error: unknown) => {
        this.logger.warn(`A verification link was not issued: ${(error as Error).message}`);
      });
    });
  }

  /** A new link for the caller, unless the address is verified already; rate limited per account. */
  async resend(userId: string): Promise<void> {
    await this.throttle.limit('verify-account', userId);
    const user = await this.credentials.authenticatedUser(userId);
    if (user.emailVerifiedAt !== null) return;
    this.sendLinkLater(user);
  }

  /** Consumes the link's token and marks the address verified. */
  async verify(token: string): Promise<PublicUser> {
    const now = this.clock.now();
    const consumed = await this.tokens.consume(sha256Hex(token), 'email_verification', now);
    if (!consumed) throw new AppError('invalid_verification_token', INVALID);
    await this.users.markEmailVerified(consumed.userId, now);
    const user = await this.users.findById(consumed.userId);
    if (!user) throw new AppError('invalid_verification_token', INVALID);
    this.audit.record('email.verified', { userId: user.id });
    return publicUser(user);
  }

  private async sendLink(user: Pick<User, 'id' | 'email'>): Promise<void> {
    const token = randomSecret();
    const now = this.clock.now();
    const ttl = this.config.EMAIL_VERIFICATION_TTL;
    await this.tokens.insert({
      tokenHash: sha256Hex(token),
      userId: user.id,
      purpose: 'email_verification',
      credentialVersion: null,
      createdAt: now,
      expiresAt: now + ttl * 1000,
    });
    const link = verificationLink(this.config.SHOP_ORIGIN, token);
    this.mail.send(verificationMail(user.email, link, ttl), 'email_verification');
    this.audit.record('email.verification_sent', { userId: user.id });
  }
}
