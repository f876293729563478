import type { Following } from './denylist';

/**
 * Receives the cart changes that any process sharing a store announces. Like
 * the revocation feed (`DenialListener`), it is told of gaps, after which a
 * follower reloads what it shows rather than trust what it received.
 */
export interface CartChangeListener {
  /** The cart of `userId` changed, in any process (this one included). */
  changed(userId: string): void;
  /** Delivery may have gaps from now on. Once per outage. */
  lost(): void;
  /** Delivery works again after `lost`; changes made in the gap were not delivered. */
  resumed(): void;
}

/**
 * "The cart of this user changed", from the cart service to every gateway
 * replica, through the shared store: Redis pub/sub, or a table of the shared
 * SQLite file that followers poll. Only the user id travels, never the cart:
 * whoever shows it fetches it from the cart service on the user's behalf.
 */
export interface CartChangeFeed {
  /** Announces that the cart of `userId` changed. */
  publish(userId: string): Promise<void>;
  /**
   * Delivers every change announced from now on, by any process; resolves
   * once listening. The caller stops it.
   */
  follow(listener: CartChangeListener): Promise<Following>;
}

/** Nest injection token for the `CartChangeFeed` of the shared state. */
export const CART_CHANGE_FEED = Symbol.for('svt.CartChangeFeed');
