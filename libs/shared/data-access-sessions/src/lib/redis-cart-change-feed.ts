import { Logger } from '@nestjs/common';
import type { CartChangeFeed, CartChangeListener } from './cart-change-feed';
import type { Following } from './denylist';
import type { RedisConnection } from './redis-connection';
import { followChannel } from './redis-subscription';

/** Options for `RedisCartChangeFeed`. */
export interface RedisCartChangeFeedOptions {
  /** How long the subscriber connection of `follow` may take to connect (default 5000 ms). */
  readonly followConnectTimeoutMs?: number;
}

const logger = new Logger('RedisCartChangeFeed');

/**
 * `CartChangeFeed` on Redis pub/sub: a PUBLISH of the user id on
 * `<prefix>cart:changes`. Nothing is stored: a follower that was not
 * listening hears of the gap (`lost`/`resumed`) and reloads.
 */
export class RedisCartChangeFeed implements CartChangeFeed {
  readonly #client: RedisConnection;
  readonly #channel: string;
  readonly #followConnectTimeoutMs: number;

  /** Uses a connected client or cluster client that its owner closes. */
  constructor(client: RedisConnection, prefix: string, options: RedisCartChangeFeedOptions = {}) {
    this.#client = client;
    this.#channel = `${prefix}cart:changes`;
    this.#followConnectTimeoutMs = options.followConnectTimeoutMs ?? 5000;
  }

  async publish(userId: string): Promise<void> {
    await this.#client.publish(this.#channel, userId);
  }

  /** Subscribes on a connection of its own (see `followChannel`). */
  follow(listener: CartChangeListener): Promise<Following> {
    const channel = this.#channel;
    return followChannel(this.#client, channel, this.#followConnectTimeoutMs, {
      message: (userId) => {
        if (userId.length > 0) listener.changed(userId);
        else logger.warn(`Ignored an empty message on ${channel}`);
      },
      lost: () => listener.lost(),
      resumed: () => listener.resumed(),
    });
  }
}
