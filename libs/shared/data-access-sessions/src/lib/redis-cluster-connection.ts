import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '@svt/shared/data-access-sql';
import { createCluster } from 'redis';
import type { RedisClusterType } from 'redis';
import {
  backoff,
  DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  describeServer,
  watchOutages,
} from './redis-connection';
import type { ConnectRedisOptions } from './redis-connection';

/**
 * The seed nodes of a comma-separated list such as
 * `redis://h1:7000,redis://h2:7001`. Throws a TypeError, naming the servers
 * but never a password, when an entry is not a redis:// or rediss:// URL, when
 * the entries disagree on scheme or credentials (every node of a cluster is
 * reached the same way), or when one names a database: a cluster has database
 * 0 only (Redis Cluster specification, "Implemented subset").
 */
export function parseRedisSeedUrls(list: string): string[] {
  const urls = list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (urls.length === 0) throw new TypeError('The Redis Cluster seed list is empty');
  const parsed = urls.map((url) => {
    const server = describeServer(url);
    const { protocol, username, password, pathname } = new URL(url);
    if (protocol !== 'redis:' && protocol !== 'rediss:') {
      throw new TypeError(`The Redis Cluster seed ${server} is not a redis:// or rediss:// URL`);
    }
    if (pathname !== '' && pathname !== '/' && pathname !== '/0') {
      throw new TypeError(
        `The Redis Cluster seed ${server} names a database; a cluster has only 0`,
      );
    }
    return { access: `${protocol}${username}:${password}` };
  });
  if (parsed.some(({ access }) => access !== parsed[0].access)) {
    throw new TypeError('The Redis Cluster seeds must share one scheme and one set of credentials');
  }
  return urls;
}

/**
 * Connects to the Redis Cluster that the seed nodes `urls` belong to (one is
 * enough; more are tried in turn) and to every master it reports, with the
 * behaviour of `connectRedis` on each node: the first connection is retried
 * until `connectTimeoutMs`, then rejects with an Error naming the seeds (never
 * a password); once connected, nodes reconnect with backoff for as long as it
 * takes, commands issued meanwhile fail fast instead of queueing, and a
 * command whose reply does not start within `commandTimeoutMs` fails. Outages
 * are logged once each. The caller owns the cluster client and closes it.
 */
export async function connectRedisCluster(
  urls: readonly string[],
  options: ConnectRedisOptions = {},
): Promise<RedisClusterType> {
  const servers = urls.map(describeServer).join(', ');
  const [first] = parseRedisSeedUrls(urls.join(','));
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
  const startedAt = Date.now();
  let connected = false;
  const seed = new URL(first);
  const cluster: RedisClusterType = createCluster({
    rootNodes: urls.map((url) => ({ url })),
    // The nodes the cluster reports are reached by host and port alone: the
    // seeds' credentials and TLS go to every node through `defaults`.
    defaults: {
      ...(seed.username ? { username: decodeURIComponent(seed.username) } : {}),
      ...(seed.password ? { password: decodeURIComponent(seed.password) } : {}),
      disableOfflineQueue: true,
      // As in `connectRedis`: a node silent for commandTimeoutMs is dropped
      // and reconnected, and a PING every half of it keeps an idle one alive.
      pingInterval: Math.max(1, Math.floor(commandTimeoutMs / 2)),
      socket: {
        ...(seed.protocol === 'rediss:' ? { tls: true as const } : {}),
        connectTimeout: connectTimeoutMs,
        socketTimeout: commandTimeoutMs,
        reconnectStrategy: (retries: number) =>
          connected || Date.now() - startedAt < connectTimeoutMs ? backoff(retries) : false,
      },
    },
  });
  watchOutages(cluster);
  try {
    await connectWithin(cluster, startedAt + connectTimeoutMs);
  } catch (error) {
    throw new Error(`Cannot connect to Redis Cluster at ${servers}: ${describeError(error)}`, {
      cause: error,
    });
  }
  connected = true;
  return cluster;
}

/**
 * Connects `cluster`, trying again with backoff until `deadline`: node-redis
 * makes one pass over the seeds and gives up, where a service starting next
 * to its cluster should wait for it as it waits for one server. Leaves the
 * cluster destroyed when it rejects.
 */
export async function connectWithin(cluster: RedisClusterType, deadline: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await cluster.connect();
      return;
    } catch (error) {
      // Drops the node clients the failed attempt opened, so the next starts clean.
      cluster.destroy();
      const wait = Math.min(backoff(attempt), deadline - Date.now());
      if (wait <= 0) throw error;
      await sleep(wait);
    }
  }
}
