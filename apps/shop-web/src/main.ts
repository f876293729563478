import {
  codeInput,
  forgotPasswordAction,
  listSessionsAction,
  MISSING_CODE,
  resendVerificationAction,
  resetPasswordAction,
  totpConfirmAction,
  totpDisableAction,
  totpStartAction,
  totpStatusAction,
  verifyEmailAction,
} from './account-actions.js';
import type { Account, AccountCredential } from './account-client.js';
import { account as fetchAccount } from './account-client.js';
import {
  renderAccount,
  renderEnrolment,
  renderRecoveryCodes,
  renderSecondStep,
  renderSessions,
  renderTotpStatus,
  showStepUp,
} from './account-view.js';
import { isRecord } from './api.js';
import type {
  LoginInput,
  Parsed,
  SecondFactorChallenge,
  SessionInfo,
  TokenPair,
} from './auth-client.js';
import {
  boundTokenLogin,
  boundTokenRefresh,
  currentSession,
  register,
  secondFactorChallenge,
  sessionLogin,
  sessionLogout,
  sessionSecondFactor,
  tokenLogin,
  tokenRefresh,
  tokenRevoke,
  tokenSecondFactor,
  whoAmI,
} from './auth-client.js';
import type { DemoConfig } from './config.js';
import { loadConfig } from './config.js';
import { dpopKeyPair, dpopThumbprint } from './dpop.js';
import { closeLiveCart, openLiveCart } from './live-cart.js';
import { bearerHeaderBytes } from './jwt.js';
import type { CellOutcome, Credential, Destination } from './matrix.js';
import { endpoints, isCredential, isDestination, probe } from './matrix.js';
import { TokenSync } from './token-sync.js';
import type { Outcome } from './outcome.js';
import { failed, failedParse, failure, info, success } from './outcome.js';
import type { BoundTokens } from './view.js';
import { renderCell, renderState, required, resetCell, showStatus } from './view.js';

// Everything the page holds lives in these variables and nowhere else: no
// localStorage, sessionStorage or cookie, which any injected script could
// read (and which outlive the tab). A reload forgets the tokens on purpose.
// The one exception is the DPoP key, in IndexedDB: it is not extractable, so
// a script can use it while the page is open but not carry it away.
// The token pair is shared with the page's other tabs, from memory to memory
// (token-sync.ts): one login, one refresh per expiry, whichever tab does it.
let config: DemoConfig | null = null;
let session: SessionInfo | null = null;
let tokens: TokenPair | null = null;
let bound: BoundTokens | null = null;
/** The account as AUTH describes it to the page's session, or else to its access token. */
let account: Account | null = null;
/** A login waiting for its second factor: a handle, never a credential. */
let pending: SecondFactorChallenge | null = null;
/** The token of a reset link, from the moment the page read it until it is posted. */
let resetToken: string | null = null;

const bearer = new TokenSync({
  name: 'bearer',
  refresh: tokenRefresh,
  onChange: (pair) => {
    tokens = pair;
    renderState(session, tokens, bound);
  },
  // `?refresh-lock=off`: each tab refreshes on its own, as without Web Locks (the lab's control).
  useLock: new URLSearchParams(location.search).get('refresh-lock') !== 'off',
});

const ACTIONS = {
  register: registerAction,
  'session-login': sessionLoginAction,
  'token-login': tokenLoginAction,
  'session-logout': sessionLogoutAction,
  'token-refresh': tokenRefreshAction,
  'token-me': tokenMeAction,
  'token-logout': tokenLogoutAction,
  'bound-login': boundLoginAction,
  'bound-refresh': boundRefreshAction,
  'bound-logout': boundLogoutAction,
  'run-matrix': runMatrixAction,
  'live-cart-session': async () =>
    info(
      session ? openLiveCart('session', () => null) : 'No session: log in with a session first.',
    ),
  'live-cart-token': async () => info(openLiveCart('token', () => tokens?.accessToken ?? null)),
  'live-cart-close': async () => (closeLiveCart(), info('Closed the live cart.')),
  'second-factor': secondFactorAction,
  'second-factor-cancel': async () => (
    (pending = null),
    info('Cancelled: the half-finished login is forgotten.')
  ),
  'resend-verification': withCredential((credential) =>
    resendVerificationAction(credential, account?.emailVerified === true),
  ),
  'forgot-password': forgotPasswordAction,
  'reset-password': resetAction,
  'totp-status': withCredential(totpStatusAction),
  'totp-start': withCredential(totpStartAction),
  'totp-confirm': withCredential(totpConfirmAction),
  'totp-disable': withCredential(totpDisableAction),
  'list-sessions': withCredential(listSessionsAction),
} satisfies Record<string, () => Promise<Outcome>>;
type Action = keyof typeof ACTIONS;

/** The form's email and password, or `null` after the browser has said what is missing. */
function credentialsInput(): LoginInput | null {
  const form = required('#credentials', HTMLFormElement);
  if (!form.reportValidity()) return null;
  const data = new FormData(form);
  const email = data.get('email');
  const password = data.get('password');
  return typeof email === 'string' && typeof password === 'string' ? { email, password } : null;
}

const MISSING_INPUT = info('Enter an email address and a password first.');

async function registerAction(): Promise<Outcome> {
  const input = credentialsInput();
  if (!input) return MISSING_INPUT;
  const result = await register(input);
  if (result.kind !== 'ok') return failed('Could not register', result);
  return success(`Registered ${input.email}: now log in with a session or with tokens.`);
}

async function sessionLoginAction(): Promise<Outcome> {
  const input = credentialsInput();
  if (!input) return MISSING_INPUT;
  const result = await sessionLogin(input);
  const challenge = secondFactorChallenge('session', result);
  if (challenge) return askForCode(challenge);
  if (result.kind !== 'ok') return failedParse('Could not log in with a session', result);
  return adoptSession(result.value);
}

/**
 * What belonged to the previous login leaves the page with it: the
 * two-factor status as it was then, an unfinished set-up, the recovery codes
 * shown once, the sessions listing and the step-up advice.
 */
function forgetLastLogin(): void {
  renderTotpStatus(null);
  renderEnrolment(null);
  renderRecoveryCodes(null);
  renderSessions(null);
  showStepUp(false);
}

function adoptSession(value: SessionInfo): Outcome {
  forgetLastLogin();
  session = value;
  return success(
    `Logged in with a session as ${session.email}: the browser holds an HttpOnly cookie this page cannot read.`,
  );
}

function askForCode(challenge: SecondFactorChallenge): Outcome {
  pending = challenge;
  return info(
    'Password accepted, and this account has a second factor: enter the code from the authenticator app (or a recovery code) to finish logging in.',
  );
}

async function sessionLogoutAction(): Promise<Outcome> {
  const result = await sessionLogout(session?.csrfToken ?? null);
  if (result.kind === 'ok') {
    session = null;
    forgetLastLogin();
    return success('Logged out: the server ended the session and the browser dropped the cookie.');
  }
  if (result.kind === 'problem' && result.status === 401) session = null;
  return failed('Could not log out of the session', result);
}

async function tokenLoginAction(): Promise<Outcome> {
  const input = credentialsInput();
  if (!input) return MISSING_INPUT;
  const result = await tokenLogin(input);
  const challenge = secondFactorChallenge('token', result);
  if (challenge) return askForCode(challenge);
  if (result.kind !== 'ok') return failedParse('Could not log in with tokens', result);
  return adoptTokens(result.value);
}

async function adoptTokens(pair: TokenPair): Promise<Outcome> {
  forgetLastLogin();
  await bearer.signedIn(pair);
  if (!tokens) return failure('The tokens were dropped as soon as they arrived.');
  return success(
    `Logged in with tokens: a ${bearerHeaderBytes(tokens.accessToken)}-byte Authorization header, valid for ${tokens.expiresIn} s, kept in memory.`,
  );
}

async function tokenRefreshAction(): Promise<Outcome> {
  const outcome = await bearer.refresh();
  switch (outcome.kind) {
    case 'no-tokens':
      return info('No refresh token in memory: log in with tokens first.');
    case 'refreshed':
      return success(
        'Refreshed: a new access token and a new refresh token, for every tab; the old one is spent.',
      );
    case 'adopted':
      return success('Another tab had just refreshed: this tab took its new pair.');
    case 'lost':
      return failure(
        'Another tab refreshed, but its new pair never arrived here. The spent tokens were dropped.',
      );
    case 'failed':
      // A spent or revoked refresh token never works again: every tab dropped it.
      return outcome.result.kind === 'problem' && outcome.result.status === 401
        ? failure(`Could not refresh: ${outcome.result.problem.detail} The tokens were dropped.`)
        : failedParse('Could not refresh', outcome.result);
  }
}

async function tokenMeAction(): Promise<Outcome> {
  const pair = await bearer.fresh();
  if (!pair) return info('No access token in memory: log in with tokens first.');
  const result = await whoAmI(pair.accessToken);
  if (result.kind !== 'ok') return failed('The gateway refused the access token', result);
  const userId = isRecord(result.body) ? result.body['userId'] : null;
  return success(`The gateway knows the access token: user ${String(userId)}.`);
}

async function tokenLogoutAction(): Promise<Outcome> {
  if (!tokens) return info('No tokens in memory: nothing to revoke.');
  const result = await tokenRevoke(tokens.refreshToken);
  if (result.kind !== 'ok') return failed('Could not revoke the refresh token', result);
  await bearer.signedOut();
  return success(
    'Logged out: the refresh token is revoked and both tokens are gone from memory, in every tab.',
  );
}

async function boundLoginAction(): Promise<Outcome> {
  const input = credentialsInput();
  if (!input) return MISSING_INPUT;
  const result = await boundTokenLogin(input);
  const challenge = secondFactorChallenge('bound', result);
  if (challenge) return askForCode(challenge);
  if (result.kind !== 'ok') return failedParse('Could not log in with a bound token', result);
  return adoptBound(result.value);
}

async function adoptBound(pair: TokenPair): Promise<Outcome> {
  if (pair.tokenType !== 'DPoP') {
    // The server ignored the proof: an unbound token is a plain Bearer token.
    await tokenRevoke(pair.refreshToken);
    return failure(`The server issued a ${pair.tokenType} token, not a bound one.`);
  }
  forgetLastLogin();
  bound = { tokens: pair, thumbprint: await dpopThumbprint(await dpopKeyPair()) };
  return success(
    `Logged in with a bound token: it works only with a proof signed by this browser's key, which no script can export. Valid for ${bound.tokens.expiresIn} s.`,
  );
}

async function boundRefreshAction(): Promise<Outcome> {
  if (!bound) return info('No bound token in memory: log in with a bound token first.');
  const result = await boundTokenRefresh(bound.tokens.refreshToken);
  if (result.kind === 'ok') {
    bound = { ...bound, tokens: result.value };
    return success(
      'Refreshed with a proof by the same key: a new bound pair; the old one is spent.',
    );
  }
  if (result.kind === 'problem' && result.status === 401) {
    bound = null;
    return failure(`Could not refresh: ${result.problem.detail} The tokens were dropped.`);
  }
  return failedParse('Could not refresh the bound token', result);
}

async function boundLogoutAction(): Promise<Outcome> {
  if (!bound) return info('No bound token in memory: nothing to revoke.');
  const result = await tokenRevoke(bound.tokens.refreshToken);
  if (result.kind !== 'ok') return failed('Could not revoke the bound refresh token', result);
  bound = null;
  return success(
    'Logged out: the bound refresh token is revoked and both tokens are gone from memory.',
  );
}

async function secondFactorAction(): Promise<Outcome> {
  const challenge = pending;
  if (!challenge) return info('No login is waiting for a code: log in first.');
  const code = codeInput('#second-step');
  if (code === null) return MISSING_CODE;
  if (challenge.kind === 'session') {
    const result = await sessionSecondFactor(challenge.pendingLogin, code);
    if (result.kind !== 'ok') return secondStepFailed(result);
    pending = null;
    return adoptSession(result.value);
  }
  const result = await tokenSecondFactor(challenge.pendingLogin, code, challenge.kind === 'bound');
  if (result.kind !== 'ok') return secondStepFailed(result);
  pending = null;
  return challenge.kind === 'bound' ? adoptBound(result.value) : adoptTokens(result.value);
}

function secondStepFailed(result: Exclude<Parsed<unknown>, { kind: 'ok' }>): Outcome {
  // A wrong code leaves the handle alive (for a few tries); anything else ends it.
  if (!(result.kind === 'problem' && result.problem.code === 'invalid_otp')) pending = null;
  return failedParse(
    pending ? 'Wrong code, try again' : 'Could not finish logging in, start again',
    result,
  );
}

/** The credential for the account's own calls: the session if there is one, else the access token. */
async function accountCredential(): Promise<AccountCredential | null> {
  if (session) return { kind: 'session', csrfToken: session.csrfToken };
  const pair = await bearer.fresh();
  return pair ? { kind: 'bearer', accessToken: pair.accessToken } : null;
}

/** An account action, run with the page's credential, or a hint to log in when it has none. */
function withCredential(
  action: (credential: AccountCredential) => Promise<Outcome>,
): () => Promise<Outcome> {
  return async () => {
    const credential = await accountCredential();
    return credential ? action(credential) : info('Log in first, with a session or with tokens.');
  };
}

async function resetAction(): Promise<Outcome> {
  const token = resetToken;
  if (!token) return info('Open the reset link from the mail first.');
  const { outcome, spent } = await resetPasswordAction(token);
  if (spent) resetToken = null;
  if (outcome.kind === 'success') {
    // Every session and token of the account ended: the page's may have been among them.
    const existing = await currentSession();
    session = existing.kind === 'ok' ? existing.value : null;
  }
  return outcome;
}

/** What the account looks like to the credential the page holds, after every action. */
async function refreshAccount(): Promise<void> {
  const credential: AccountCredential | null = session
    ? { kind: 'session', csrfToken: session.csrfToken }
    : tokens
      ? { kind: 'bearer', accessToken: tokens.accessToken }
      : null;
  const result = credential ? await fetchAccount(credential) : null;
  account = result?.kind === 'ok' ? result.value : null;
}

function renderAll(): void {
  renderState(session, tokens, bound);
  renderAccount(account, session !== null || tokens !== null);
  renderSecondStep(pending);
  required('#reset', HTMLFormElement).hidden = resetToken === null;
}

/**
 * A link from a mail: `#verify-email=<token>` or `#reset-password=<token>`.
 * The token leaves the address bar at once (history, bookmarks, a shoulder),
 * and is posted, never sent in a GET.
 */
function followMailLink(): void {
  const match = /^#(verify-email|reset-password)=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!match) return;
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  const [, route, token] = match;
  if (!token) return;
  if (route === 'verify-email') {
    schedule(() => verifyEmailAction(token));
  } else {
    schedule(async () => {
      resetToken = token;
      required('#reset', HTMLFormElement).hidden = false;
      required('#reset-password', HTMLInputElement).focus();
      return info('Choose a new password for the account below.');
    });
  }
}

interface Cell {
  readonly element: HTMLTableCellElement;
  readonly credential: Credential;
  readonly destination: Destination;
}

function matrixCells(table: HTMLTableElement): Cell[] {
  return Array.from(table.querySelectorAll('td[data-credential]'), (element) => {
    if (!(element instanceof HTMLTableCellElement)) throw new TypeError('not a table cell');
    const { credential, destination } = element.dataset;
    if (!isCredential(credential) || !isDestination(destination)) {
      throw new TypeError(`unknown matrix cell ${String(credential)} × ${String(destination)}`);
    }
    return { element, credential, destination };
  });
}

async function runMatrixAction(): Promise<Outcome> {
  if (!config) return failure('The page has no configuration, so it cannot run the matrix.');
  const table = required('#matrix', HTMLTableElement);
  const cells = matrixCells(table);
  const holding = {
    accessToken: tokens?.accessToken ?? null,
    boundToken: bound?.tokens.accessToken ?? null,
    hasSession: session !== null,
  };
  const current = config;
  delete table.dataset['complete'];
  table.setAttribute('aria-busy', 'true');
  for (const cell of cells) resetCell(cell.element, 'Running…');
  try {
    const outcomes = await Promise.all(
      cells.map(async (cell): Promise<CellOutcome | null> => {
        try {
          const outcome = await probe(current, cell.credential, cell.destination, holding);
          renderCell(cell.element, outcome);
          return outcome;
        } catch (error) {
          console.error(error);
          resetCell(cell.element, 'The page failed here (see the console).');
          return null;
        }
      }),
    );
    table.dataset['complete'] = 'true';
    const answered = outcomes.filter(
      (o) => o && typeof o.status === 'number' && o.status >= 200 && o.status < 300,
    ).length;
    return success(`Ran the matrix: ${answered} of ${cells.length} calls succeeded.`);
  } finally {
    table.setAttribute('aria-busy', 'false');
  }
}

// Actions run one after another: two refreshes at once would spend the same
// refresh token twice, which the server treats as theft.
let queue: Promise<void> = Promise.resolve();

function enqueue(action: Action): void {
  schedule(ACTIONS[action]);
}

function schedule(run: () => Promise<Outcome>): void {
  queue = queue.then(async () => {
    let outcome: Outcome;
    try {
      outcome = await run();
      await refreshAccount();
    } catch (error) {
      console.error(error);
      outcome = failure('The page itself failed; the console has the details.');
    }
    showStatus(outcome.kind, outcome.text);
    renderAll();
  });
}

function isAction(value: string | undefined): value is Action {
  return value !== undefined && Object.hasOwn(ACTIONS, value);
}

function labelDestinations(current: DemoConfig): void {
  for (const header of document.querySelectorAll<HTMLElement>('th[data-destination]')) {
    const destination = header.dataset['destination'];
    const host = header.querySelector('.destination-url');
    if (isDestination(destination) && host) host.textContent = endpoints(current, destination).url;
  }
}

async function start(): Promise<void> {
  for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-action]')) {
    const action = button.dataset['action'];
    if (!isAction(action)) throw new TypeError(`unknown action ${String(action)}`);
    button.addEventListener('click', () => enqueue(action));
  }
  // Every button says what it does; pressing Enter in a field submits nothing.
  for (const form of document.querySelectorAll('form')) {
    form.addEventListener('submit', (event) => event.preventDefault());
  }

  const loaded = await loadConfig();
  const existing = await currentSession();
  session = existing.kind === 'ok' ? existing.value : null;
  await refreshAccount();
  renderAll();

  if (loaded.ok) {
    config = loaded.config;
    labelDestinations(config);
    required('#open-cart', HTMLAnchorElement).href = `${config.cartOrigin}/`;
    const mail = required('#open-mail', HTMLAnchorElement);
    mail.hidden = config.mailCatcherOrigin === undefined;
    if (config.mailCatcherOrigin) mail.href = `${config.mailCatcherOrigin}/`;
    showStatus(
      'info',
      session
        ? `Ready: a session is open for ${session.email}.`
        : new URLSearchParams(location.search).get('sso') === 'signed_out'
          ? 'Not signed in at AUTH: sign in with AUTH, or register and log in here.'
          : 'Ready: no session yet. Register, then log in with a session, with tokens or with a bound token.',
    );
  } else {
    showStatus('error', loaded.reason);
  }
  for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-action]')) {
    button.disabled = false;
  }
  document.body.dataset['ready'] = 'true';
  // After the ready line, so that the link's outcome is what the status line says last.
  followMailLink();
  window.addEventListener('hashchange', followMailLink);
}

start().catch((error: unknown) => {
  console.error(error);
  showStatus('error', 'The page failed to start; the console has the details.');
});
