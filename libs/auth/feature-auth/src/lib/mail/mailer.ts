/** One mail to one recipient: plain text always, HTML optionally. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/** The port to outgoing mail (an SMTP server in every deployment). */
export interface Mailer {
  /** Resolves once the server accepted the mail; rejects when it did not. */
  send(message: MailMessage): Promise<void>;
}

export const MAILER = Symbol.for('svt.Mailer');
