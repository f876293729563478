import { Logger } from '@nestjs/common';
import type { Cart, CartItem, CartRepository } from '@svt/cart/data-access';
import type { CartChangeFeed } from '@svt/shared/data-access-sessions';
import { describeError } from '@svt/shared/data-access-sql';

/**
 * The cart repository that announces each write on the shared store's cart
 * change feed, so that every gateway replica pushes the new cart to the
 * user's live sockets, whichever route or page made the change. The write
 * stands even when the announcement fails: the cart is saved, and a gateway
 * that lost the feed reloads its live carts once it resumes.
 */
export class PublishingCartRepository implements CartRepository {
  private readonly logger = new Logger(PublishingCartRepository.name);

  constructor(
    private readonly carts: CartRepository,
    private readonly changes: CartChangeFeed,
  ) {}

  get(userId: string): Promise<Cart> {
    return this.carts.get(userId);
  }

  async setItem(userId: string, item: CartItem, now: number): Promise<Cart | 'full'> {
    const cart = await this.carts.setItem(userId, item, now);
    // A full cart changed nothing: nothing to announce.
    if (cart !== 'full') await this.announce(userId);
    return cart;
  }

  async removeItem(userId: string, sku: string, now: number): Promise<Cart> {
    const cart = await this.carts.removeItem(userId, sku, now);
    await this.announce(userId);
    return cart;
  }

  async clear(userId: string, now: number): Promise<void> {
    await this.carts.clear(userId, now);
    await this.announce(userId);
  }

  private async announce(userId: string): Promise<void> {
    try {
      await this.changes.publish(userId);
    } catch (error) {
      this.logger.warn(`Could not announce a cart change: ${describeError(error)}`);
    }
  }
}
