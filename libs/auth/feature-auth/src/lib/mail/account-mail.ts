import { Inject, Injectable, Logger } from '@nestjs/common';
import type { MailMessage, Mailer } from './mailer';
import { MAILER } from './mailer';

/** Sends account mail without making a request wait for, or fail with, the SMTP server. */
@Injectable()
export class AccountMail {
  private readonly logger = new Logger(AccountMail.name);

  constructor(@Inject(MAILER) private readonly mailer: Mailer) {}

  send(message: MailMessage, purpose: string): void {
    this.mailer.send(message).catch((error: unknown) => {
      this.logger.warn(`A ${purpose} mail was not sent: ${(error as Error).message}`);
    });
  }
}
