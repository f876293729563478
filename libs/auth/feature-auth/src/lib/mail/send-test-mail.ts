import type { AuthConfig } from '../auth.config';
import { smtpUrl } from '../auth.config';
import { NodemailerMailer } from './nodemailer-mailer';

/**
 * The `send-test-mail <address>` command: sends one mail through SMTP_URL as
 * MAIL_FROM, so that an operator sees the mail path work (or the SMTP
 * server's error) before a user needs a link. Resolves with what it did,
 * naming the server without its credentials.
 */
export async function sendTestMail(
  config: Pick<AuthConfig, 'SMTP_URL' | 'MAIL_FROM' | 'AUTH_ORIGIN'>,
  to: string,
): Promise<string> {
  const url = new URL(smtpUrl(config));
  const server = `${url.protocol}//${url.host}`;
  await new NodemailerMailer({ url: url.href, from: config.MAIL_FROM }).send({
    to,
    subject: 'Test mail from Session vs Token',
    text: [
      `This is a test mail sent by the auth service at ${config.AUTH_ORIGIN} through ${server}.`,
      'Verification and password reset links reach users the same way.',
    ].join('\n\n'),
  });
  return `Sent a test mail to ${to} through ${server} as ${config.MAIL_FROM}`;
}
