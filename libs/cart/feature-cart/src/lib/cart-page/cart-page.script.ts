import { CSRF_META } from './cart-page';

/**
 * The cart page's one script, plain JavaScript served from this origin (the
 * page's CSP allows nothing else). It calls CART same-origin with the
 * session cookie, sends the CSRF token with a change, and shows "Signed
 * out" as soon as a call answers 401 (a back-channel logout shows on the
 * next call, e.g. the Refresh button's). `#cart-items` gets `data-loaded`
 * once the cart is shown, for the browser tests.
 */
export const CART_PAGE_SCRIPT = `'use strict';
(function () {
  var csrfToken = document.querySelector('meta[name="${CSRF_META}"]').getAttribute('content');
  var items = document.getElementById('cart-items');
  var error = document.getElementById('cart-error');

  function signedOut() {
    document.getElementById('cart-content').hidden = true;
    document.getElementById('cart-signed-out').hidden = false;
  }

  function render(cart) {
    items.replaceChildren();
    if (cart.items.length === 0) {
      var empty = document.createElement('td');
      empty.colSpan = 2;
      empty.textContent = 'The cart is empty.';
      items.append(document.createElement('tr'));
      items.lastChild.append(empty);
    }
    cart.items.forEach(function (item) {
      var row = document.createElement('tr');
      var sku = document.createElement('td');
      var quantity = document.createElement('td');
      sku.textContent = item.sku;
      quantity.textContent = String(item.quantity);
      row.append(sku, quantity);
      items.append(row);
    });
    items.dataset.loaded = 'true';
  }

  function call(method, path, body) {
    var headers = { Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['X-CSRF-Token'] = csrfToken;
    }
    return fetch(path, {
      method: method,
      credentials: 'same-origin',
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      if (response.status === 401) {
        signedOut();
        return null;
      }
      return response.json().then(function (payload) {
        if (!response.ok) throw new Error(payload.detail || payload.title || response.statusText);
        error.hidden = true;
        return payload;
      });
    });
  }

  function show(failure) {
    error.textContent = failure.message;
    error.hidden = false;
  }

  function refresh() {
    call('GET', '/cart').then(function (cart) {
      if (cart) render(cart);
    }, show);
  }

  refresh();
  document.getElementById('cart-refresh').addEventListener('click', refresh);

  document.getElementById('cart-add-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var sku = document.getElementById('cart-sku').value;
    var quantity = Number(document.getElementById('cart-quantity').value);
    call('PUT', '/cart/items/' + encodeURIComponent(sku), { quantity: quantity }).then(
      function (cart) {
        if (cart) render(cart);
      },
      show,
    );
  });
})();
`;
