import { Logger } from '@nestjs/common';
import type { RedisClientType, RedisClusterType } from 'redis';
import { assertUntil } from './denylist';
import type { Denial, DenialListener, Denylist, Following } from './denylist';
import { connectWithin } from './redis-cluster-connection';
import { backoff, isRedisCluster, watchOutages } from './redis-connection';
import type { RedisConnection } from './redis-connection';

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
   * Subscribes on a connection of its own, one per following, which `stop()`
   * closes: a `duplicate()` of the client, or on a cluster a duplicate
   * cluster client that connects to one node only for its SUBSCRIBE. A
   * dropped connection is `lost`; it reconnects with backoff for as long as
   * it takes, and is `resumed` once subscribed again. Rejects when it cannot
   * connect within `followConnectTimeoutMs`.
   */
  async follow(listener: DenialListener): Promise<Following> {
    const startedAt = Date.now();
    let connected = false;
    const reconnectStrategy = (retries: number): number | false =>
      connected || Date.now() - startedAt < this.#followConnectTimeoutMs ? backoff(retries) : false;
    let listening = false;
    let stopped = false;
    let lost = false;
    const lose = (): void => {
      if (!listening || stopped || lost) return;
      lost = true;
      listener.lost();
    };
    const resume = (): void => {
      if (!listening || stopped || !lost) return;
      lost = false;
      listener.resumed();
    };
    /** Reports the state of the connection that carries the SUBSCRIBE. */
    const watch = (subscriber: RedisClientType): void => {
      // Logged once per outage; without an 'error' listener, an error would crash the process.
      watchOutages(subscriber);
      subscriber.on('error', () => {
        lose();
        // An error that left the connection up (a garbled reply) may still
        // have cost a message: report the gap and its end together.
        if (subscriber.isReady) resume();
      });
      subscriber.on('reconnecting', lose);
      subscriber.on('end', lose);
      // The client subscribes again before it is ready: nothing is missed after this.
      subscriber.on('ready', resume);
      subscriber.once('ready', () => (connected = true));
    };
    const channel = this.#channel;
    const onMessage = (message: string): void => {
      if (stopped) return;
      const denial = parseDenial(message);
      if (denial) listener.denied(denial);
      else logger.warn(`Ignored a malformed message on ${channel}`);
    };
    const subscription = isRedisCluster(this.#client)
      ? await this.#subscribeOnCluster(this.#client, reconnectStrategy, onMessage, watch)
      : await this.#subscribeOnClient(this.#client, reconnectStrategy, onMessage, watch);
    connected = true;
    listening = true;
    return {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        subscription.destroy();
      },
    };
  }

  async #subscribeOnClient(
    client: RedisClientType,
    reconnectStrategy: (retries: number) => number | false,
    onMessage: (message: string) => void,
    watch: (subscriber: RedisClientType) => void,
  ): Promise<{ destroy(): void }> {
    const subscriber = client.duplicate({
      socket: { ...client.options?.socket, reconnectStrategy },
    });
    watch(subscriber);
    const destroy = (): void => {
      if (subscriber.isOpen) subscriber.destroy();
    };
    try {
      await subscriber.connect();
      await subscriber.subscribe(this.#channel, onMessage);
    } catch (error) {
      destroy();
      throw error;
    }
    return { destroy };
  }

  /**
   * Classic SUBSCRIBE, not sharded SSUBSCRIBE: on a cluster, a PUBLISH
   * reaches the subscribers of every node over the cluster bus (Redis Cluster
   * specification, "Publish/Subscribe"), so one connection to any node hears
   * every denial, and PUBLISH, naming no key, stays inside the one-key MULTI
   * of `deny`. An SPUBLISH would hash its channel to a slot like a key and
   * need a hash tag shared with the denylist key to fit in that MULTI.
   */
  async #subscribeOnCluster(
    cluster: RedisClusterType,
    reconnectStrategy: (retries: number) => number | false,
    onMessage: (message: string) => void,
    watch: (subscriber: RedisClientType) => void,
  ): Promise<{ destroy(): void }> {
    const defaults = cluster._options.defaults;
    const subscriber = cluster.duplicate({
      // Discovers the slots without connecting to every master: the only
      // connection it opens is the one its SUBSCRIBE picks.
      minimizeConnections: true,
      defaults: { ...defaults, socket: { ...defaults?.socket, reconnectStrategy } },
    });
    // Discovery errors reject `connectWithin`; the errors of the connection
    // that subscribes are logged by `watch`. Without a listener, an 'error'
    // event would crash the process.
    subscriber.on('error', () => undefined);
    const destroy = (): void => {
      if (subscriber.isOpen) subscriber.destroy();
    };
    try {
      await connectWithin(subscriber, Date.now() + this.#followConnectTimeoutMs);
      await subscriber.subscribe(this.#channel, onMessage);
    } catch (error) {
      destroy();
      throw error;
    }
    const node = subscriber.pubSubNode;
    if (node === undefined) {
      destroy();
      throw new Error('The Redis Cluster client subscribed without a pub/sub connection');
    }
    // Should node-redis ever replace this connection (a topology change), the
    // old one ends: reported as lost, after which the mirror asks the store.
    watch(node.client);
    return { destroy };
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
