import { Logger } from '@nestjs/common';
import { assertUntil } from './denylist';
import type { Denial, DenialListener, Denylist, Following } from './denylist';
import { watchOutages } from './redis-connection';
import type { RedisConnection } from './redis-connection';
import { followChannel } from './redis-subscription';

/** Options for `RedisDenylist`. */
export interface RedisDenylistOptions {
  /** The clock denials end by (default `Date.now`). */
  readonly now?: () => number;
  /**
   * How long the subscriber connection of `follow` may take to connect,
   * retries included, before `follow` rejects (default 5000 ms).
   */
  readonly followConnectTimeoutMs?: number;
}

const logger = new Logger('RedisDenylist');

/**
 * `Denylist` on Redis: one sorted set `<prefix>denylist` of sids scored by the
 * end of their denial. Every write trims the ended denials and the set expires
 * with its last one, so it never outgrows the tokens it refuses. Every denial
 * is also published on `<prefix>denylist:events` for `follow`. Single-key
 * commands and PUBLISH only (the MULTI names the one denylist key, so it
 * never spans hash slots): it holds on Redis Cluster, where a PUBLISH
 * reaches the subscribers of every node.
 */
export class RedisDenylist implements Denylist {
  readonly #client: RedisConnection;
  readonly #key: string;
  readonly #channel: string;
  readonly #now: () => number;
  readonly #followConnectTimeoutMs: number;

  /**
   * Uses a connected client or cluster client that its owner closes (see
   * `connectRedis`, `connectRedisCluster`); its
   * errors are logged once per outage.
   */
  constructor(client: RedisConnection, prefix: string, options: RedisDenylistOptions = {}) {
    this.#client = client;
    this.#key = `${prefix}denylist`;
    this.#channel = `${prefix}denylist:events`;
    this.#now = options.now ?? Date.now;
    this.#followConnectTimeoutMs = options.followConnectTimeoutMs ?? 5000;
    watchOutages(client);
  }

  async deny(sid: string, until: number): Promise<void> {
    assertUntil(until);
    const now = this.#now();
    if (until <= now) return;
    const key = this.#key;
    await this.#client
      .multi()
      // GT still adds a new member and only ever moves an existing one later:
      // the later `until` wins whichever replica's write lands first.
      .zAdd(key, { score: until, value: sid }, { comparison: 'GT' })
      .zRemRangeByScore(key, '-inf', now)
      // NX gives a new set an expiry, GT only ever pushes it later: the set
      // goes with its last denial even when no one denies anything again.
      .pExpireAt(key, until, 'NX')
      .pExpireAt(key, until, 'GT')
      .publish(this.#channel, JSON.stringify({ sid, until }))
      .exec();
  }

  async isDenied(sid: string): Promise<boolean> {
    // Judged by the same clock as the tokens' `exp` (rather than by whether
    // Redis has trimmed the member yet), which keeps every adapter in agreement.
    const until = await this.#client.zScore(this.#key, sid);
    return until !== null && until > this.#now();
  }

  async inForce(): Promise<Denial[]> {
    const members = await this.#client.zRangeByScoreWithScores(
      this.#key,
      `(${this.#now()}`,
      '+inf',
    );
    return members.map(({ value, score }) => ({ sid: String(value), until: score }));
  }

  /**
   * Subscribes to `<prefix>denylist:events` on a connection of its own (see
   * `followChannel`); rejects when it cannot connect within
   * `followConnectTimeoutMs`.
   */
  follow(listener: DenialListener): Promise<Following> {
    const channel = this.#channel;
    return followChannel(this.#client, channel, this.#followConnectTimeoutMs, {
      message: (message) => {
        const denial = parseDenial(message);
        if (denial) listener.denied(denial);
        else logger.warn(`Ignored a malformed message on ${channel}`);
      },
      lost: () => listener.lost(),
      resumed: () => listener.resumed(),
    });
  }
}

/** The denial a published message announces, or null when it is not one. */
function parseDenial(message: string): Denial | null {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { sid, until } = value as Record<string, unknown>;
  return typeof sid === 'string' && typeof until === 'number' && Number.isSafeInteger(until)
    ? { sid, until }
    : null;
}
