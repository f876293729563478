import { watchOutages } from './redis-connection';
import type { RedisConnection } from './redis-connection';
import { assertRememberMs } from './replay-cache';
import type { ReplayCache } from './replay-cache';

/**
 * `ReplayCache` on Redis: a key `<prefix>replay:<id>` set with
 * `SET … NX PX rememberMs`, so the one replica whose SET wrote it sees the
 * first use and Redis's clock alone decides when the id is forgotten. Single-key
 * commands only, so it holds on Redis Cluster.
 */
export class RedisReplayCache implements ReplayCache {
  readonly #client: RedisConnection;
  readonly #prefix: string;

  /**
   * Uses a connected client or cluster client that its owner closes (see
   * `connectRedis`, `connectRedisCluster`); its errors are logged once per
   * outage.
   */
  constructor(client: RedisConnection, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
    watchOutages(client);
  }

  async firstUse(id: string, rememberMs: number): Promise<boolean> {
    assertRememberMs(rememberMs);
    const reply = await this.#client.set(this.#key(id), '1', {
      condition: 'NX',
      expiration: { type: 'PX', value: rememberMs },
    });
    return reply === 'OK';
  }

  async forget(id: string): Promise<void> {
    await this.#client.del(this.#key(id));
  }

  #key(id: string): string {
    return `${this.#prefix}replay:${id}`;
  }
}
