import type { MailMessage } from '../mail/mailer';

/**
 * The links and mails of the account lifecycle. Links point at the shop's
 * configured origin, never at a request's Host or X-Forwarded-Host (a
 * poisoned header would otherwise send a victim's token to an attacker), and
 * carry the token in the fragment: browsers send it neither to servers nor
 * in Referer, and a mail scanner fetching the link consumes nothing.
 */
export const verificationLink = (shopOrigin: string, token: string): string =>
  `${shopOrigin}/#verify-email=${token}`;

export const resetLink = (shopOrigin: string, token: string): string =>
  `${shopOrigin}/#reset-password=${token}`;

const minutes = (seconds: number): string => {
  const count = Math.max(1, Math.round(seconds / 60));
  return count === 1 ? '1 minute' : `${count} minutes`;
};

export const verificationMail = (to: string, link: string, ttlSeconds: number): MailMessage => ({
  to,
  subject: 'Confirm your e-mail address',
  text: [
    'Confirm that this address is yours by opening this link:',
    '',
    link,
    '',
    `It works once, for ${minutes(ttlSeconds)}. If you did not create an account, ignore this mail.`,
  ].join('\n'),
});

export const resetMail = (to: string, link: string, ttlSeconds: number): MailMessage => ({
  to,
  subject: 'Reset your password',
  text: [
    'Someone (hopefully you) asked to reset the password of the account with this address.',
    'Choose a new password by opening this link:',
    '',
    link,
    '',
    `It works once, for ${minutes(ttlSeconds)}. If you did not ask, ignore this mail: your password stays as it is.`,
  ].join('\n'),
});

export const passwordChangedMail = (to: string): MailMessage => ({
  to,
  subject: 'Your password was changed',
  text: [
    'The password of your account was just reset, and every session was signed out.',
    'If this was not you, reset it again at once from the login page, and check your mailbox.',
  ].join('\n'),
});
