import { required } from './view.js';

/**
 * The live cart: `/api/cart/events` on this page's own origin, a WebSocket
 * that the gateway authenticates at the handshake and closes, with a code
 * that says why, within a second of the end of the credential that opened it
 * (docs/websocket.md). Opened with the session cookie (the browser sends it;
 * the gateway checks this page's Origin) or with the access token in memory,
 * offered as the subprotocol `bearer.<token>`, never in the URL.
 */

/** The protocol's own subprotocol; the server answers with it and nothing else. */
const PROTOCOL = 'cart.v1';
/**
 * The close of a device-bound session's socket whose bound cookie expired
 * (DBSC): reopened at once, the browser renewing the cookie before the
 * handshake.
 */
const BOUND_COOKIE_EXPIRED = 4006;
/** How often the page looks for a newer access token to hand the socket (after a refresh). */
const TOKEN_WATCH_MS = 1000;

interface CartItem {
  readonly sku: string;
  readonly quantity: number;
}

type Credential = 'session' | 'token';

let socket: WebSocket | null = null;
let watch: number | undefined;

/**
 * Opens the live cart with `credential`, closing one already open. `token`
 * reads the access token the page holds now: a token socket re-authenticates
 * in-band (`{type: "auth", token}`) whenever it changes, so a refresh keeps
 * the socket open past the old token's `exp`.
 */
export function openLiveCart(credential: Credential, token: () => string | null): string {
  const current = credential === 'token' ? token() : null;
  if (credential === 'token' && current === null) {
    return 'No access token in memory: log in with tokens first.';
  }
  closeLiveCart();
  const url = new URL('/api/cart/events', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const opened = new WebSocket(url, current ? [PROTOCOL, `bearer.${current}`] : [PROTOCOL]);
  socket = opened;
  showState(
    'connecting',
    `Opening with the ${credential === 'token' ? 'access token' : 'session cookie'}…`,
  );
  let sent = current;
  opened.addEventListener('message', (event) => onMessage(event));
  opened.addEventListener('close', (event) => {
    const latest = socket === opened;
    if (latest) socket = null;
    window.clearInterval(watch);
    if (latest && event.code === BOUND_COOKIE_EXPIRED) {
      openLiveCart(credential, token);
      return;
    }
    showState(
      'closed',
      event.code === 1006
        ? 'Closed: the connection was refused or lost (a refused handshake shows as 1006 in a browser).'
        : `Closed by the server: ${event.code} ${event.reason || ''}`.trim(),
    );
  });
  if (current) {
    watch = window.setInterval(() => {
      const latest = token();
      if (latest && latest !== sent && opened.readyState === WebSocket.OPEN) {
        sent = latest;
        opened.send(JSON.stringify({ type: 'auth', token: latest }));
      }
    }, TOKEN_WATCH_MS);
  }
  return `Opening the live cart with the ${credential === 'token' ? 'access token' : 'session cookie'}.`;
}

/** Closes the live cart, if open, as the client (1000). */
export function closeLiveCart(): void {
  window.clearInterval(watch);
  socket?.close(1000, 'closed by the page');
  socket = null;
}

function onMessage(event: MessageEvent): void {
  if (typeof event.data !== 'string') return;
  const message = JSON.parse(event.data) as { type?: string; expiresAt?: string; cart?: unknown };
  if (message.type === 'authenticated') {
    showState('open', `Open until ${time(message.expiresAt)} at the latest.`);
  } else if (message.type === 'cart') {
    renderItems((message.cart as { items?: CartItem[] } | undefined)?.items ?? []);
  }
}

function showState(state: 'connecting' | 'open' | 'closed', text: string): void {
  const element = required('#live-cart-state', HTMLElement);
  element.dataset['state'] = state;
  element.textContent = text;
}

function renderItems(items: readonly CartItem[]): void {
  const list = required('#live-cart-items', HTMLUListElement);
  list.replaceChildren(
    ...items.map((item) => {
      const entry = document.createElement('li');
      entry.textContent = `${item.sku} × ${item.quantity}`;
      return entry;
    }),
  );
  required('#live-cart-empty', HTMLElement).hidden = items.length > 0;
}

function time(iso: string | undefined): string {
  const date = new Date(iso ?? '');
  return Number.isNaN(date.getTime()) ? 'its credential’s end' : date.toLocaleTimeString();
}
