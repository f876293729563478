import { watchOutages } from './redis-connection';
import type { RedisConnection } from './redis-connection';
import { assertWindowMs } from './rate-limit-store';
import type { RateLimitStore, RateLimitWindow } from './rate-limit-store';

/** Options for `RedisRateLimitStore`. */
export interface RedisRateLimitStoreOptions {
  /** The clock `resetAt` is reported by (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * `RateLimitStore` on Redis: a counter `<prefix>rate:<key>` that expires when
 * its window closes, so every replica counts against the same window and
 * Redis's clock alone decides when it closes. Single-key commands only (each MULTI
 * names the one counter, so it never spans hash slots): it holds on Redis
 * Cluster.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: RedisConnection;
  readonly #prefix: string;
  readonly #now: () => number;

  /**
   * Uses a connected client or cluster client that its owner closes (see
   * `connectRedis`, `connectRedisCluster`); its
   * errors are logged once per outage.
   */
  constructor(client: RedisConnection, prefix: string, options: RedisRateLimitStoreOptions = {}) {
    this.#client = client;
    this.#prefix = prefix;
    this.#now = options.now ?? Date.now;
    watchOutages(client);
  }

  async hit(key: string, windowMs: number): Promise<RateLimitWindow> {
    assertWindowMs(windowMs);
    const counter = this.#key(key);
    // One MULTI, so no replica's hit lands between the count and its expiry.
    // NX: only the hit that opens the window decides when it closes.
    const [count, , ttl] = await this.#client
      .multi()
      .incr(counter)
      .pExpire(counter, windowMs, 'NX')
      .pTTL(counter)
      .exec();
    return Object.freeze({ count: Number(count), resetAt: this.#now() + Number(ttl) });
  }

  async peek(key: string): Promise<RateLimitWindow | null> {
    const counter = this.#key(key);
    const [count, ttl] = await this.#client.multi().get(counter).pTTL(counter).exec();
    // PTTL answers -2 for a missing key (the window closed between the two).
    if (count === null || Number(ttl) < 0) return null;
    return Object.freeze({ count: Number(count), resetAt: this.#now() + Number(ttl) });
  }

  async reset(key: string): Promise<void> {
    await this.#client.del(this.#key(key));
  }

  #key(key: string): string {
    return `${this.#prefix}rate:${key}`;
  }
}
