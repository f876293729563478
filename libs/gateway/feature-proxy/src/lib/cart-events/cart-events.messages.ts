import { MAX_TOKEN_LENGTH } from '@svt/shared/feature-authn';

/** The subprotocol of the live cart (RFC 6455 §1.9): the only one the server answers with. */
export const CART_EVENTS_PROTOCOL = 'cart.v1';

/**
 * The prefix of the subprotocol that carries an access token at the
 * handshake: the client offers `["cart.v1", "bearer.<token>"]`. A JWT's
 * characters are all `tchar`s (RFC 9110 §5.6.2), so it fits a protocol name.
 */
export const BEARER_PROTOCOL_PREFIX = 'bearer.';

/** The one message a client sends: a token, to authenticate or to re-authenticate before `exp`. */
export interface AuthMessage {
  readonly type: 'auth';
  readonly token: string;
}

/** What the server sends. */
export type ServerMessage =
  | {
      /** The socket is authenticated (again): it lives until `expiresAt` at most. */
      readonly type: 'authenticated';
      readonly method: 'session' | 'bearer' | 'dpop';
      readonly expiresAt: string;
    }
  | {
      /** The user's cart, as `GET /api/cart` answers it: right after `authenticated`, then on every change. */
      readonly type: 'cart';
      readonly cart: unknown;
    };

/**
 * The client's message, or `null` when the text is not one: not JSON, not an
 * object, another `type`, or a token that is not a string of at most
 * MAX_TOKEN_LENGTH characters.
 */
export function parseClientMessage(text: string): AuthMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { type, token } = value as Record<string, unknown>;
  if (type !== 'auth' || typeof token !== 'string') return null;
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
  return { type, token };
}
