import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AccountTokenRepository, UserRepository } from '@svt/auth/data-access';
import { ACCOUNT_TOKEN_REPOSITORY, USER_REPOSITORY } from '@svt/auth/data-access';
import { AppError } from '@svt/shared/util-errors';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK, randomSecret, sha256Hex } from '@svt/shared/util-security';
import { SignOutService } from '../account/sign-out.service';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';
import { AccountMail } from '../mail/account-mail';
import { passwordChangedMail, resetLink, resetMail } from '../shared/account-links';
import { AuditLog } from '../shared/audit-log';
import { CredentialsService } from '../shared/credentials.service';
import { normaliseEmail } from '../shared/email';
import type { ClientInfo } from '../shared/request-context';
import { ServerKeys } from '../shared/server-keys';
import { ThrottleService } from '../shared/throttle.service';

const INVALID = 'The password reset link is invalid, used or expired. Ask for a new one.';

/** What `POST /auth/password/forgot` answers, whether an account uses the address or not. */
export const FORGOT_ANSWER = {
  detail: 'If an account uses this address, a reset link is on its way.',
} as const;

/**
 * Password reset by a mailed link (OWASP Forgot Password Cheat Sheet): the
 * request answers the same for every address, before the address is even
 * looked up; the link is single-use, short-lived, stored only as its SHA-256
 * hash, and void once the password changed after it was issued. A reset ends
 * every session, token family and single sign-on session of the account.
 */
@Injectable()
export class PasswordResetService {
  private readonly logger = new Logger(PasswordResetService.name);

  constructor(
    @Inject(ACCOUNT_TOKEN_REPOSITORY) private readonly tokens: AccountTokenRepository,
    @Inject(USER_REPOSITORY) private readonly users: UserRepository,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly credentials: CredentialsService,
    private readonly signOut: SignOutService,
    private readonly throttle: ThrottleService,
    private readonly mail: AccountMail,
    private readonly keys: ServerKeys,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Counts the request against the limits per client address and per
   * address asked about (neither depends on whether an account uses it),
   * then returns; the lookup, the token and the mail follow once the caller
   * has answered, so the answer's timing says nothing about the account.
   */
  async forgot(email: string, client: ClientInfo): Promise<typeof FORGOT_ANSWER> {
    const address = normaliseEmail(email);
    await this.throttle.limit('forgot-ip', client.ip);
    await this.throttle.limit('forgot-email', address);
    setImmediate(() => {
      this.sendLink(address, client).catch((error: unknown) => {
        this.logger.warn(`A password reset link was not issued: ${(error as Error).message}`);
      });
    });
    return FORGOT_ANSWER;
  }

  /**
   * Consumes the token, sets the new password (bumping the credential
   * version), ends everything the account had, and marks the address
   * verified: opening the link proved the mailbox.
   */
  async reset(token: string, newPassword: string, client: ClientInfo): Promise<void> {
    await this.throttle.limit('reset-ip', client.ip);
    const tokenHash = sha256Hex(token);
    const usable = await this.tokens.findUsable(tokenHash, 'password_reset', this.clock.now());
    if (!usable) throw this.refused(client);
    await this.throttle.limit('reset-account', usable.userId);
    const now = this.clock.now();
    const consumed = await this.tokens.consume(tokenHash, 'password_reset', now);
    if (!consumed) throw this.refused(client);
    const user = await this.users.findById(consumed.userId);
    if (!user) throw this.refused(client);

    const credentialVersion = await this.credentials.setPassword(user.id, newPassword);
    await this.users.markEmailVerified(user.id, now);
    let sessions = 0;
    let families = 0;
    try {
      const signedOut = await this.signOut.afterPasswordChange({
        userId: user.id,
        credentialVersion,
      });
      sessions = signedOut.sessions.length;
      families = signedOut.families.length;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // The change stays pending: SignOutService finishes it once the stores answer.
      throw new AppError(
        error.code,
        'The password was reset; ending the old sessions is retried until it completes. Log in with the new password.',
        { cause: error },
      );
    } finally {
      this.mail.send(passwordChangedMail(user.email), 'password_changed');
    }
    this.audit.record('password.reset', { userId: user.id, sessions, families, ip: client.ip });
  }

  private refused(client: ClientInfo): AppError {
    this.audit.record('password.reset_failed', { ip: client.ip });
    return new AppError('invalid_reset_token', INVALID);
  }

  private async sendLink(address: string, client: ClientInfo): Promise<void> {
    const user = await this.users.findByEmail(address);
    this.audit.record('password.reset_requested', {
      account: this.keys.auditAccount(address),
      known: user !== null,
      ip: client.ip,
    });
    if (!user) return;
    const token = randomSecret();
    const now = this.clock.now();
    const ttl = this.config.PASSWORD_RESET_TTL;
    await this.tokens.insert({
      tokenHash: sha256Hex(token),
      userId: user.id,
      purpose: 'password_reset',
      credentialVersion: user.credentialVersion,
      createdAt: now,
      expiresAt: now + ttl * 1000,
    });
    const link = resetLink(this.config.SHOP_ORIGIN, token);
    this.mail.send(resetMail(user.email, link, ttl), 'password_reset');
  }
}
