/**
 * Why the gateway closed a live cart socket: the close code a client sees in
 * its `close` event. RFC 6455 §7.4.1's own codes where one fits; the
 * application's in 4000–4999, the range §7.4.2 leaves to applications.
 * docs/websocket.md documents each one, and a unit test keeps the two in step.
 */
export const CART_EVENTS_CLOSE_CODES = {
  /** The gateway is shutting down; reconnect (to another replica). */
  goingAway: 1001,
  /** A binary message: the protocol is JSON text. */
  unsupportedData: 1003,
  /** A message that is not one of the protocol's (malformed JSON, an unknown `type`). */
  policyViolation: 1008,
  /** A message above CART_EVENTS_MAX_MESSAGE_BYTES (sent by `ws` itself). */
  messageTooBig: 1009,
  /** The credential could not be checked (the shared store is unreachable): fail closed. */
  internalError: 1011,
  /** No `auth` message within CART_EVENTS_AUTH_TIMEOUT_MS of opening without a credential. */
  authTimeout: 4000,
  /** The session ended: logout, logout-all, a password change, a revocation. */
  sessionEnded: 4001,
  /** The session expired: its idle or absolute timeout passed. */
  sessionExpired: 4002,
  /** The access token's session or token family was revoked (denylisted). */
  tokenRevoked: 4003,
  /** The access token's `exp` passed without an `auth` message carrying a new one. */
  tokenExpired: 4004,
  /** An `auth` message's token was refused: invalid, expired, revoked, DPoP-bound, or another user's. */
  authFailed: 4005,
  /**
   * A device-bound session (DBSC): the bound cookie the socket was opened
   * with expired. Reconnect: the browser renews the cookie first.
   */
  boundCookieExpired: 4006,
  /** The client read too slowly: more than CART_EVENTS_MAX_BUFFERED_BYTES waited to be sent. */
  slowConsumer: 4008,
  /** Authenticated by an `auth` message, the user already had CART_EVENTS_MAX_SOCKETS_PER_USER open. */
  tooManySockets: 4029,
} as const;

export type CartEventsCloseReason = keyof typeof CART_EVENTS_CLOSE_CODES;
export type CartEventsCloseCode = (typeof CART_EVENTS_CLOSE_CODES)[CartEventsCloseReason];

/**
 * The reason a close code stands for (`tokenRevoked` for 4003), or
 * `undefined` for a code this protocol does not send: what a client, a test
 * or the bench logs next to a measured close.
 */
export function cartEventsCloseReason(code: number): CartEventsCloseReason | undefined {
  for (const [reason, value] of Object.entries(CART_EVENTS_CLOSE_CODES)) {
    if (value === code) return reason as CartEventsCloseReason;
  }
  return undefined;
}
