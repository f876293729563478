import type { AccountCredential } from './account-client.js';
import {
  confirmTotp,
  disableTotp,
  forgotPassword,
  listSessions,
  resendVerification,
  resetPassword,
  startTotp,
  totpStatus,
  verifyEmail,
} from './account-client.js';
import {
  renderEnrolment,
  renderRecoveryCodes,
  renderSessions,
  renderTotpStatus,
  showStepUp,
} from './account-view.js';
import { isRecord } from './api.js';
import type { Outcome } from './outcome.js';
import { failed, failedParse, info, success } from './outcome.js';
import { required } from './view.js';

/**
 * The page's actions on the account itself: the mailed links, the password
 * reset and the second factor. Each reports what happened on the status line;
 * the ones that need a login are given the credential to make them with.
 */

/** The code typed into `form`, or `null` after the browser has said it is missing. */
export function codeInput(selector: string): string | null {
  const form = required(selector, HTMLFormElement);
  if (!form.reportValidity()) return null;
  const code = new FormData(form).get('code');
  return typeof code === 'string' ? code.trim() : null;
}

export const MISSING_CODE = info('Enter a code first.');

/** `verified`: the address is already verified, as far as the page knows. */
export async function resendVerificationAction(
  credential: AccountCredential,
  verified: boolean,
): Promise<Outcome> {
  const result = await resendVerification(credential);
  if (result.kind !== 'ok') return failed('Could not send a verification link', result);
  return success(
    verified
      ? 'The address is already verified: no new link is needed.'
      : 'A new verification link is on its way (see the mail catcher).',
  );
}

export async function verifyEmailAction(token: string): Promise<Outcome> {
  const result = await verifyEmail(token);
  if (result.kind !== 'ok') return failed('Could not verify the address', result);
  const email = isRecord(result.body) ? result.body['email'] : null;
  return success(
    `Verified ${typeof email === 'string' ? email : 'the address'}: the link proved the mailbox is yours.`,
  );
}

export async function forgotPasswordAction(): Promise<Outcome> {
  const form = required('#forgot', HTMLFormElement);
  if (!form.reportValidity()) return info('Enter the address of the account first.');
  const email = new FormData(form).get('email');
  if (typeof email !== 'string') return info('Enter the address of the account first.');
  const result = await forgotPassword(email);
  if (result.kind !== 'ok') return failed('Could not ask for a reset link', result);
  const detail = isRecord(result.body) ? result.body['detail'] : null;
  // The same answer whether or not the address has an account: it tells an attacker nothing.
  return success(
    typeof detail === 'string'
      ? detail
      : 'If an account uses this address, a reset link is on its way.',
  );
}

/**
 * Posts the new password with the link's token. `spent`: the token cannot be
 * tried again (it was used, or refused); a refused password can be fixed.
 */
export async function resetPasswordAction(
  token: string,
): Promise<{ readonly outcome: Outcome; readonly spent: boolean }> {
  const form = required('#reset', HTMLFormElement);
  const newPassword = form.reportValidity() ? new FormData(form).get('newPassword') : null;
  if (typeof newPassword !== 'string') {
    return { outcome: info('Enter the new password first.'), spent: false };
  }
  const result = await resetPassword(token, newPassword);
  if (result.kind !== 'ok') {
    const fixable = result.kind === 'problem' && result.problem.code === 'validation_failed';
    return { outcome: failed('Could not set the new password', result), spent: !fixable };
  }
  form.reset();
  return {
    outcome: success(
      'Password changed: every session and token of the account has ended. Log in with the new password.',
    ),
    spent: true,
  };
}

export async function totpStatusAction(credential: AccountCredential): Promise<Outcome> {
  const result = await totpStatus(credential);
  if (result.kind !== 'ok') return failedParse('Could not read the two-factor status', result);
  renderTotpStatus(result.value);
  return info(`Two-factor authentication is ${result.value.enabled ? 'on' : 'off'}.`);
}

export async function totpStartAction(credential: AccountCredential): Promise<Outcome> {
  renderRecoveryCodes(null);
  const result = await startTotp(credential);
  if (result.kind !== 'ok') return failedParse('Could not set up an authenticator', result);
  renderEnrolment(result.value);
  renderTotpStatus({ enabled: false, pending: true, recoveryCodesLeft: 0 });
  return info(
    'Scan the QR code with an authenticator app (or type the secret), then enter the code it shows to turn it on.',
  );
}

export async function totpConfirmAction(credential: AccountCredential): Promise<Outcome> {
  const code = codeInput('#totp-enrolment');
  if (code === null) return MISSING_CODE;
  const result = await confirmTotp(credential, code);
  if (result.kind !== 'ok')
    return failedParse('Could not turn two-factor authentication on', result);
  renderEnrolment(null);
  renderRecoveryCodes(result.value);
  renderTotpStatus({ enabled: true, pending: false, recoveryCodesLeft: result.value.length });
  return success(
    `Two-factor authentication is on: the next login asks for a code. Keep the ${result.value.length} recovery codes below: they are shown only now.`,
  );
}

export async function totpDisableAction(credential: AccountCredential): Promise<Outcome> {
  const code = codeInput('#totp-disable');
  if (code === null) return MISSING_CODE;
  const result = await disableTotp(credential, code);
  if (result.kind !== 'ok') return failed('Could not turn two-factor authentication off', result);
  required('#totp-disable', HTMLFormElement).reset();
  renderRecoveryCodes(null);
  renderTotpStatus({ enabled: false, pending: false, recoveryCodesLeft: 0 });
  return success(
    "Two-factor authentication is off, and the account's other sessions and tokens have ended.",
  );
}

export async function listSessionsAction(credential: AccountCredential): Promise<Outcome> {
  const result = await listSessions(credential);
  const stepUp = result.kind === 'problem' && result.problem.code === 'step_up_required';
  showStepUp(stepUp);
  if (result.kind !== 'ok') {
    renderSessions(null);
    return failedParse(
      stepUp ? 'Listing the sessions needs a fresh second factor' : 'Could not list the sessions',
      result,
    );
  }
  renderSessions(result.value);
  return success(`The account has ${result.value.length} sessions and token families.`);
}
