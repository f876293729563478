import type { CartChangeFeed, CartChangeListener } from './cart-change-feed';
import type { Following } from './denylist';

/** `CartChangeFeed` within one process: for unit tests, and a reference for the contract suite. */
export class MemoryCartChangeFeed implements CartChangeFeed {
  readonly #listeners = new Set<CartChangeListener>();

  async publish(userId: string): Promise<void> {
    for (const listener of this.#listeners) listener.changed(userId);
  }

  async follow(listener: CartChangeListener): Promise<Following> {
    // A listener of its own per following: the same one may follow twice.
    const own: CartChangeListener = { ...listener, changed: (id) => listener.changed(id) };
    this.#listeners.add(own);
    return { stop: async () => void this.#listeners.delete(own) };
  }
}
