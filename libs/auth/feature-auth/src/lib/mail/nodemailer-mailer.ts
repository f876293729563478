import { createTransport } from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { Mailer, MailMessage } from './mailer';

/** Where and as whom the mailer sends. */
export interface SmtpSettings {
  /** `smtp://host:port` (STARTTLS when offered) or `smtps://host:465`; credentials as `user:pass@`. */
  readonly url: string;
  /** The From header, e.g. `Session vs Token <no-reply@auth.example>`. */
  readonly from: string;
}

/** How long a connection, the greeting and a silent socket may take, ms: a mail is never worth more. */
const SMTP_TIMEOUT_MS = 10_000;

/** The `Mailer` over SMTP (RFC 5321) with nodemailer, one connection per mail. */
export class NodemailerMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(settings: SmtpSettings) {
    // The URL's own parameters win over these.
    this.transport = createTransport(
      {
        url: settings.url,
        connectionTimeout: SMTP_TIMEOUT_MS,
        greetingTimeout: SMTP_TIMEOUT_MS,
        socketTimeout: SMTP_TIMEOUT_MS,
      },
      { from: settings.from },
    );
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({
      to: message.to,
      subject: message.subject,
      text: message.text,
      ...(message.html === undefined ? {} : { html: message.html }),
    });
  }
}
