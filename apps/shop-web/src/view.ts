import type { SessionInfo, TokenPair } from './auth-client.js';
import { bearerHeaderBytes, readClaims } from './jwt.js';
import type { CellOutcome } from './matrix.js';
import { describeArrived, describeStatus } from './matrix.js';

/** The element the page's own HTML promises; its absence is a bug in the page. */
export function required<T extends Element>(selector: string, type: new () => T): T {
  const element = document.querySelector(selector);
  if (!(element instanceof type)) throw new TypeError(`index.html lacks ${selector}`);
  return element;
}

export type StatusKind = 'success' | 'error' | 'info';

/** A DPoP-bound token pair and the thumbprint of the key it is bound to. */
export interface BoundTokens {
  readonly tokens: TokenPair;
  readonly thumbprint: string;
}

/** One line in the live region; errors say so in words, not only in colour. */
export function showStatus(kind: StatusKind, text: string): void {
  const status = required('#status', HTMLElement);
  status.dataset['kind'] = kind;
  status.textContent = kind === 'error' ? `Error: ${text}` : text;
}

/** What the claims are, for a reader who has not met a JWT before. */
const CLAIM_NOTES: Readonly<Record<string, string>> = {
  iss: 'issuer',
  aud: 'audience',
  sub: 'user id',
  sid: 'session id',
  jti: 'token id',
  iat: 'issued at',
  nbf: 'not before',
  exp: 'expires',
  cnf: 'confirmation: the thumbprint of the key whose proofs it needs',
  amr: 'how the user authenticated: pwd, otp',
  acr: 'assurance level: aal1 for a password, aal2 with a second factor',
  auth_time: 'when the user last proved a factor',
};
const TIME_CLAIMS = new Set(['iat', 'nbf', 'exp', 'auth_time']);

export function renderState(
  session: SessionInfo | null,
  tokens: TokenPair | null,
  bound: BoundTokens | null,
): void {
  const state = required('#state', HTMLElement);
  const bytes = tokens ? bearerHeaderBytes(tokens.accessToken) : 0;
  state.dataset['session'] = String(session !== null);
  state.dataset['deviceBound'] = String(session?.deviceBound === true);
  state.dataset['tokens'] = String(tokens !== null);
  state.dataset['bound'] = String(bound !== null);
  state.dataset['accessTokenBytes'] = String(bytes);

  required('#state-session', HTMLElement).textContent = session
    ? `yes, as ${session.email}${session.expiresAt ? `, until ${time(session.expiresAt)}` : ''}` +
      (session.idleExpiresAt ? ` (or ${time(session.idleExpiresAt)} if idle)` : '') +
      (session.deviceBound ? '; bound to this browser (DBSC)' : '')
    : 'no';
  required('#state-tokens', HTMLElement).textContent = tokens
    ? 'yes: an access token and a refresh token, in memory'
    : 'no';
  required('#state-access-bytes', HTMLElement).textContent = tokens
    ? `${bytes} bytes (the whole "Authorization: Bearer …" header)`
    : 'none: no access token';
  required('#state-bound', HTMLElement).textContent = bound
    ? `yes, in memory, bound to key ${bound.thumbprint} (its private half in IndexedDB, not extractable)`
    : 'no';

  // The bound token's claims when there is one: its `cnf` is the difference.
  const shown = bound?.tokens ?? tokens;
  const claims = shown ? readClaims(shown.accessToken) : null;
  const list = required('#claims', HTMLDListElement);
  list.replaceChildren();
  for (const [name, value] of Object.entries(claims ?? {})) {
    const term = document.createElement('dt');
    const code = document.createElement('code');
    code.textContent = name;
    term.append(code, CLAIM_NOTES[name] ? ` (${CLAIM_NOTES[name]})` : '');
    const description = document.createElement('dd');
    description.textContent =
      TIME_CLAIMS.has(name) && typeof value === 'number'
        ? `${value} = ${new Date(value * 1000).toISOString()}`
        : JSON.stringify(value);
    list.append(term, description);
  }
  required('#claims-empty', HTMLElement).hidden = claims !== null;
}

function time(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}

export function resetCell(cell: HTMLTableCellElement, text: string): void {
  for (const name of ['status', 'cookieSent', 'authorizationSent', 'credentialBytes', 'outcome']) {
    delete cell.dataset[name];
  }
  cell.textContent = text;
}

export function renderCell(cell: HTMLTableCellElement, outcome: CellOutcome): void {
  cell.dataset['status'] = String(outcome.status);
  cell.dataset['cookieSent'] = String(outcome.cookieSent);
  cell.dataset['authorizationSent'] = String(outcome.authorizationSent);
  cell.dataset['credentialBytes'] = String(outcome.credentialBytes);
  cell.dataset['outcome'] =
    outcome.status === 'network-error'
      ? 'failed'
      : outcome.status >= 200 && outcome.status < 300
        ? 'ok'
        : 'refused';
  cell.replaceChildren(
    line('cell-status', describeStatus(outcome.status)),
    line('cell-arrived', `Arrived: ${describeArrived(outcome.arrived)}`),
    line('cell-why', outcome.why),
  );
}

function line(className: string, text: string): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = className;
  span.textContent = text;
  return span;
}
