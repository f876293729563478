import type { RedisClientType } from 'redis';
import { assertUntil } from './denylist';
import type { Denylist } from './denylist';
import { watchOutages } from './redis-connection';

/** Options for `RedisDenylist`. */
export interface RedisDenylistOptions {
  /** The clock denials end by (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * `Denylist` on Redis: one key `<prefix>denied-sid:<sid>` per denied sid,
 * expiring when the denial ends, so the list never outgrows the tokens it
 * refuses. Single-key commands only: it holds on Redis Cluster.
 */
export class RedisDenylist implements Denylist {
  readonly #client: RedisClientType;
  readonly #prefix: string;
  readonly #now: () => number;

  /**
   * Uses a connected client that its owner closes (see `connectRedis`); its
   * errors are logged once per outage.
   */
  constructor(client: RedisClientType, prefix: string, options: RedisDenylistOptions = {}) {
    this.#client = client;
    this.#prefix = prefix;
    this.#now = options.now ?? Date.now;
    watchOutages(client);
  }

  async deny(sid: string, until: number): Promise<void> {
    assertUntil(until);
    // Redis would accept a past PXAT and drop the key at once: nothing to do.
    if (until <= this.#now()) return;
    const key = this.#key(sid);
    // NX writes a first denial, GT only ever pushes an existing one later: the
    // later `until` wins whichever replica's write lands first.
    await this.#client
      .multi()
      .set(key, '1', { condition: 'NX', expiration: { type: 'PXAT', value: until } })
      .pExpireAt(key, until, 'GT')
      .exec();
  }

  async isDenied(sid: string): Promise<boolean> {
    // The key's expiry is the denial's end. Judging it by the same clock as
    // the tokens' `exp` (rather than by whether Redis has dropped the key yet)
    // keeps every adapter in agreement; a missing key answers -2.
    const until = await this.#client.pExpireTime(this.#key(sid));
    return until > this.#now();
  }

  #key(sid: string): string {
    return `${this.#prefix}denied-sid:${sid}`;
  }
}
