import type { HtmlPage } from '@svt/shared/util-http';
import { escapeHtml, htmlPage } from '@svt/shared/util-http';

/** What the login page shows for one interaction. */
export interface LoginPageView {
  /** The form's own URL (the interaction's). */
  readonly action: string;
  readonly csrfToken: string;
  /** The relying party asking, as registered. */
  readonly clientId: string;
  readonly email?: string;
  readonly error?: string;
  /** Where the form may lead after it posts: AUTH and the relying parties. */
  readonly formTargets: readonly string[];
}

/** AUTH's login page: first-party on AUTH's site, one form, no script. */
export function loginPage(view: LoginPageView): HtmlPage {
  const error = view.error ? `<p class="error" role="alert">${escapeHtml(view.error)}</p>` : '';
  return htmlPage({
    title: 'Sign in with AUTH',
    formActions: view.formTargets,
    main:
      `<h1>Sign in with AUTH</h1><p class="muted">to continue to <strong>${escapeHtml(view.clientId)}</strong></p>${error}` +
      `<form method="post" action="${escapeHtml(view.action)}">` +
      `<input type="hidden" name="csrf" value="${escapeHtml(view.csrfToken)}">` +
      `<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(view.email ?? '')}">` +
      '<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>' +
      '<button type="submit">Sign in</button></form>',
  });
}

/** What the second step of the login page shows: the pending login it finishes. */
export interface SecondFactorPageView extends Omit<LoginPageView, 'email'> {
  readonly pendingLogin: string;
}

/**
 * The login page's second step, for an account with a second factor: the
 * password was right; a code from the authenticator app (or a recovery code)
 * finishes the sign-in. The pending login rides in a hidden field.
 */
export function secondFactorPage(view: SecondFactorPageView): HtmlPage {
  const error = view.error ? `<p class="error" role="alert">${escapeHtml(view.error)}</p>` : '';
  return htmlPage({
    title: 'Sign in with AUTH: code',
    formActions: view.formTargets,
    main:
      `<h1>Sign in with AUTH</h1><p class="muted">to continue to <strong>${escapeHtml(view.clientId)}</strong></p>${error}` +
      '<p>Enter the code from your authenticator app, or a recovery code.</p>' +
      `<form method="post" action="${escapeHtml(view.action)}">` +
      `<input type="hidden" name="csrf" value="${escapeHtml(view.csrfToken)}">` +
      `<input type="hidden" name="pendingLogin" value="${escapeHtml(view.pendingLogin)}">` +
      '<label for="code">Code</label><input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required autofocus>' +
      '<button type="submit">Continue</button></form>',
  });
}

/** RP-initiated logout: the provider's hidden form (its own CSRF token) and the two answers. */
export function logoutPage(form: string, formTargets: readonly string[]): HtmlPage {
  return htmlPage({
    title: 'Sign out of AUTH',
    formActions: formTargets,
    main:
      `<h1>Sign out of AUTH?</h1><p>This ends your sign-in here and at every site you entered with it.</p>${form}` +
      '<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button> ' +
      '<button type="submit" form="op.logoutForm">No, stay signed in</button>',
  });
}

/** A sign-in AUTH no longer knows, or one this browser did not start: nothing to fill in. */
export function expiredSignInPage(): HtmlPage {
  return htmlPage({
    title: 'Sign-in expired',
    main: '<h1>This sign-in has expired</h1><p class="error" role="alert">It took too long, or it was started in another browser. Go back to the site and sign in again.</p>',
  });
}

export function signedOutPage(): HtmlPage {
  return htmlPage({ title: 'Signed out', main: '<h1>You are signed out of AUTH.</h1>' });
}

/** An OAuth error the provider cannot send back to a client (an unknown client, a bad redirect_uri). */
export function oidcErrorPage(out: object): HtmlPage {
  const rows = Object.entries(out)
    .map(
      ([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(String(value))}</td></tr>`,
    )
    .join('');
  return htmlPage({
    title: 'Sign-in error',
    main: `<h1>The sign-in request was refused</h1><table>${rows}</table>`,
  });
}
