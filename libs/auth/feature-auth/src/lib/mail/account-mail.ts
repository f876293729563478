import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { AuditLog } from '../shared/audit-log';
import { MAILER } from './mailer';
import type { Mailer, MailMessage } from './mailer';

/**
 * Sends the account's mails (verification links, reset links, notices)
 * without making a request wait for, or fail with, the SMTP server: the
 * caller answers first, the mail goes after, and a failed send is an audit
 * line, never an error response (a down mail server must not tell a client
 * whether an address has an account, nor turn a reset into a 500).
 */
@Injectable()
export class AccountMail implements OnApplicationShutdown {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @Inject(MAILER) private readonly mailer: Mailer,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Starts sending `message` and returns at once. `purpose` names the mail
   * in the audit line of a failure (`verification`, `password_reset`, …);
   * the line never carries the recipient, the text or a token.
   */
  send(message: MailMessage, purpose: string): void {
    const sending: Promise<void> = this.mailer.send(message).then(
      () => undefined,
      (error: unknown) => {
        this.audit.record('mail.failed', { purpose, reason: failureReason(error) });
      },
    );
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  /** Resolves once every mail started so far was accepted or has failed (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  /** A mail accepted for sending is still sent when the process stops. */
  async onApplicationShutdown(): Promise<void> {
    await this.settled();
  }
}

/**
 * What went wrong, from the error's code only (`ECONNREFUSED`, `EAUTH`, an
 * SMTP reply code): a message may quote the recipient or the server's reply.
 */
function failureReason(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
    if (typeof responseCode === 'number') return `smtp_${responseCode}`;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
  }
  return 'unknown';
}
