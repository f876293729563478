import type { RedisClientType, RedisClusterType } from 'redis';
import type { Following } from './denylist';
import { connectWithin } from './redis-cluster-connection';
import { backoff, isRedisCluster, watchOutages } from './redis-connection';
import type { RedisConnection } from './redis-connection';

/** What a `followChannel` delivers: the messages, and the gaps in their delivery. */
export interface ChannelListener {
  /** A message published on the channel, by any process. */
  message(message: string): void;
  /** Delivery may have gaps from now on (the connection dropped). Once per outage. */
  lost(): void;
  /** Subscribed again after `lost`: messages published in the gap were not delivered. */
  resumed(): void;
}

/**
 * Subscribes to `channel` on a connection of its own, one per following,
 * which `stop()` closes: a `duplicate()` of the client, or on a cluster a
 * duplicate cluster client that connects to one node only for its
 * SUBSCRIBE. A dropped connection is `lost`; it reconnects with backoff for
 * as long as it takes, and is `resumed` once subscribed again. Rejects when
 * it cannot connect within `connectTimeoutMs`. The revocation feed and the
 * cart change feed both travel this way.
 */
export async function followChannel(
  client: RedisConnection,
  channel: string,
  connectTimeoutMs: number,
  listener: ChannelListener,
): Promise<Following> {
  const startedAt = Date.now();
  let connected = false;
  const reconnectStrategy = (retries: number): number | false =>
    connected || Date.now() - startedAt < connectTimeoutMs ? backoff(retries) : false;
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
  const onMessage = (message: string): void => {
    if (!stopped) listener.message(message);
  };
  const subscribe = { channel, reconnectStrategy, onMessage, watch };
  const subscription = isRedisCluster(client)
    ? await subscribeOnCluster(client, subscribe, connectTimeoutMs)
    : await subscribeOnClient(client, subscribe);
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

interface Subscribe {
  readonly channel: string;
  readonly reconnectStrategy: (retries: number) => number | false;
  readonly onMessage: (message: string) => void;
  readonly watch: (subscriber: RedisClientType) => void;
}

async function subscribeOnClient(
  client: RedisClientType,
  { channel, reconnectStrategy, onMessage, watch }: Subscribe,
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
    await subscriber.subscribe(channel, onMessage);
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
 * every message, and PUBLISH, naming no key, fits inside a one-key MULTI
 * (the denylist's `deny`). An SPUBLISH would hash its channel to a slot like
 * a key and need a hash tag shared with that key.
 */
async function subscribeOnCluster(
  cluster: RedisClusterType,
  { channel, reconnectStrategy, onMessage, watch }: Subscribe,
  connectTimeoutMs: number,
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
    await connectWithin(subscriber, Date.now() + connectTimeoutMs);
    await subscriber.subscribe(channel, onMessage);
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
  // old one ends: reported as lost, after which a follower asks the store.
  watch(node.client);
  return { destroy };
}
