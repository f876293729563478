import type { HtmlPage } from '@svt/shared/util-http';
import { escapeHtml, htmlPage } from '@svt/shared/util-http';

/** Where the page's script is served, from this origin. */
export const CART_PAGE_SCRIPT_PATH = '/cart-page.js';

/** The name of the `<meta>` holding the session's CSRF token, for the script. */
export const CSRF_META = 'csrf-token';

export interface CartPagePaths {
  /** Where "Sign in with AUTH" leads (`/sso/login?return_to=/`). */
  readonly signIn: string;
  /** Where "Sign out" posts (`/sso/logout`). */
  readonly signOut: string;
}

/**
 * The cart page for a signed-in user: who, the cart (filled in by the
 * script, same-origin with the cookie), a form to set an item, and a
 * sign-out form carrying the CSRF token (it ends at AUTH's end-session
 * endpoint, hence `authOrigin` among the form actions, which CSP applies to
 * redirects too).
 */
export function signedInPage(
  user: { readonly userId: string; readonly csrfToken: string },
  paths: CartPagePaths,
  authOrigin: string,
): HtmlPage {
  return htmlPage({
    title: 'Cart',
    script: CART_PAGE_SCRIPT_PATH,
    meta: { [CSRF_META]: user.csrfToken },
    formActions: ["'self'", authOrigin],
    main:
      '<h1>Cart</h1>' +
      `<p>Signed in as <code id="cart-user">${escapeHtml(user.userId)}</code></p>` +
      '<div id="cart-content">' +
      '<table><thead><tr><th>SKU</th><th>Quantity</th></tr></thead>' +
      '<tbody id="cart-items"></tbody></table>' +
      '<form id="cart-add-form">' +
      '<label for="cart-sku">SKU</label>' +
      '<input id="cart-sku" name="sku" value="tea-earl-grey" required maxlength="64" pattern="[A-Za-z0-9._\\-]{1,64}">' +
      '<label for="cart-quantity">Quantity</label>' +
      '<input id="cart-quantity" name="quantity" type="number" min="1" max="999" value="1" required>' +
      '<button id="cart-add" type="submit">Add to cart</button>' +
      '</form>' +
      '<button id="cart-refresh" type="button">Refresh</button>' +
      `<form method="post" action="${escapeHtml(paths.signOut)}">` +
      `<input type="hidden" name="csrf_token" value="${escapeHtml(user.csrfToken)}">` +
      '<button id="cart-sign-out" type="submit">Sign out</button>' +
      '</form>' +
      '</div>' +
      '<p id="cart-error" class="error" role="alert" hidden></p>' +
      '<div id="cart-signed-out" hidden><p>Signed out.</p>' +
      `<a id="cart-sign-in" class="button" href="${escapeHtml(paths.signIn)}">Sign in with AUTH</a></div>`,
  });
}

/** The page after a silent sign-in found nobody signed in at AUTH: a link, never another redirect. */
export function signedOutPage(paths: CartPagePaths): HtmlPage {
  return htmlPage({
    title: 'Cart',
    main:
      '<h1>Cart</h1>' +
      '<div id="cart-signed-out"><p>Signed out.</p>' +
      `<a id="cart-sign-in" class="button" href="${escapeHtml(paths.signIn)}">Sign in with AUTH</a></div>`,
  });
}
