import type { Account, SessionListing, TotpEnrolment, TotpStatus } from './account-client.js';
import type { SecondFactorChallenge } from './auth-client.js';
import { required } from './view.js';

/** The account's rows of "What this page holds": the address and how the login was made. */
export function renderAccount(account: Account | null, signedIn: boolean): void {
  const address = required('#state-address', HTMLElement);
  const factors = required('#state-factors', HTMLElement);
  address.dataset['verified'] = String(account?.emailVerified ?? 'unknown');
  if (!account) {
    address.textContent = signedIn ? 'unknown' : 'unknown: not logged in';
    factors.textContent = signedIn ? 'unknown' : 'none: not logged in';
    factors.dataset['amr'] = '';
    return;
  }
  address.textContent =
    account.emailVerified === null
      ? account.email
      : `${account.email}, ${account.emailVerified ? 'verified' : 'not verified yet: open the link in the mail'}`;
  const amr = account.amr ?? [];
  factors.dataset['amr'] = amr.join(' ');
  factors.textContent = account.amr
    ? `${amr.map(describeFactor).join(' and ')} (amr ${JSON.stringify(amr)}` +
      `${account.acr ? `, acr "${account.acr}"` : ''})`
    : 'unknown';
}

const FACTORS: Readonly<Record<string, string>> = {
  pwd: 'a password',
  otp: 'a one-time code',
};

function describeFactor(factor: string): string {
  return FACTORS[factor] ?? factor;
}

const KIND_NAMES = {
  session: 'the session login',
  token: 'the token login',
  bound: 'the bound-token login',
} as const;

/** The second-step form, shown while a login waits for its code. */
export function renderSecondStep(challenge: SecondFactorChallenge | null): void {
  const form = required('#second-step', HTMLFormElement);
  const appearing = form.hidden && challenge !== null;
  form.hidden = challenge === null;
  // Where the next keystroke belongs: the code, not the password field.
  if (appearing) required('#second-step-code', HTMLInputElement).focus();
  form.dataset['kind'] = challenge?.kind ?? '';
  if (!challenge) {
    form.reset();
    return;
  }
  const until = challenge.expiresAt
    ? `, until ${new Date(challenge.expiresAt).toLocaleTimeString()}`
    : '';
  required('#second-step-heading', HTMLElement).textContent =
    `Second step of ${KIND_NAMES[challenge.kind]}${until}`;
}

export function renderTotpStatus(status: TotpStatus | null): void {
  const state = required('#totp-state', HTMLElement);
  state.dataset['enabled'] = status ? String(status.enabled) : 'unknown';
  state.textContent = !status
    ? 'unknown: check it'
    : status.enabled
      ? `on, ${status.recoveryCodesLeft} recovery code${status.recoveryCodesLeft === 1 ? '' : 's'} left`
      : status.pending
        ? 'off: set up started, waiting for a code to confirm it'
        : 'off';
}

/** The secret of an enrolment in progress, as a QR code and as text; `null` hides it. */
export function renderEnrolment(enrolment: TotpEnrolment | null): void {
  const form = required('#totp-enrolment', HTMLFormElement);
  const image = required('#totp-qr', HTMLImageElement);
  const secret = required('#totp-secret', HTMLElement);
  form.hidden = enrolment === null;
  if (enrolment) {
    image.src = enrolment.qrCode;
    secret.textContent = enrolment.secret;
  } else {
    image.removeAttribute('src');
    secret.textContent = '';
    form.reset();
  }
}

/** The recovery codes, once, right after the confirmation; `null` removes them from the page. */
export function renderRecoveryCodes(codes: readonly string[] | null): void {
  required('#recovery', HTMLElement).hidden = codes === null;
  required('#recovery-codes', HTMLOListElement).replaceChildren(
    ...(codes ?? []).map((code) => {
      const item = document.createElement('li');
      const text = document.createElement('code');
      text.textContent = code;
      item.append(text);
      return item;
    }),
  );
}

export function renderSessions(listings: readonly SessionListing[] | null): void {
  required('#session-list', HTMLUListElement).replaceChildren(
    ...(listings ?? []).map((listing) => {
      const item = document.createElement('li');
      const when = Number.isNaN(Date.parse(listing.createdAt))
        ? ''
        : `, since ${new Date(listing.createdAt).toLocaleTimeString()}`;
      const factors = listing.amr ? `: ${listing.amr.join(' + ')}` : '';
      item.dataset['amr'] = listing.amr?.join(' ') ?? '';
      item.textContent = `${listing.method}${listing.current ? ' (this one)' : ''}${when}${factors}`;
      return item;
    }),
  );
}

export function showStepUp(shown: boolean): void {
  required('#step-up', HTMLElement).hidden = !shown;
}
