import { Logger } from '@nestjs/common';
import { describeError } from '@svt/shared/data-access-sql';
import { createClient } from 'redis';
import type { RedisClientType, RedisClusterType } from 'redis';

/**
 * A connected node-redis client: one server (`connectRedis`) or a Redis
 * Cluster (`connectRedisCluster`). The adapters issue the same commands on
 * either; a cluster client routes each to the master of its key's hash slot.
 */
export type RedisConnection = RedisClientType | RedisClusterType;

/** Whether `connection` is a cluster client rather than a client of one server. */
export function isRedisCluster(connection: RedisConnection): connection is RedisClusterType {
  return 'masters' in connection;
}

/**
 * Resolves when the server answers PING; on a cluster, when every master
 * does, since each holds a share of the hash slots and a cluster has no
 * single PING. Rejects on a closed connection.
 */
export async function pingRedis(connection: RedisConnection): Promise<void> {
  if (!isRedisCluster(connection)) {
    await connection.ping();
    return;
  }
  if (!connection.isOpen) throw new Error('The Redis Cluster connection is closed');
  await Promise.all(
    connection.masters.map(async (master) => (await connection.nodeClient(master)).ping()),
  );
}

/** Options for `connectRedis`. */
export interface ConnectRedisOptions {
  /** How long the first connection may take, retries included (default 5000 ms). */
  readonly connectTimeoutMs?: number;
  /**
   * How long the server may stay silent while a command waits for its reply
   * (default 1000 ms). Past it the connection is deemed dead: its pending
   * commands fail, so that a slow server turns into prompt 503s instead of
   * hung requests, and the client reconnects.
   */
  readonly commandTimeoutMs?: number;
}

/** The default of `ConnectRedisOptions.commandTimeoutMs`. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1000;

/**
 * The server a URL points at, without credentials, for error messages.
 * Throws when the URL does not parse, without echoing it.
 */
export function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    throw new Error('The Redis URL is not a valid URL');
  }
}

/** Exponential backoff with jitter, capped at 5 s: the delay before reconnection attempt `retries`. */
export function backoff(retries: number): number {
  return Math.min(100 * 2 ** retries, 5000) + Math.floor(Math.random() * 100);
}

/**
 * Connects to the Redis server at `url`. The first connection is retried until
 * `connectTimeoutMs`, then rejects with an Error naming the server (never the
 * password); once connected, the client reconnects with backoff for as long as
 * it takes, and commands issued meanwhile fail fast instead of queueing.
 * A command whose reply does not start within `commandTimeoutMs` fails, and
 * the connection is replaced. Outages are logged once each. The caller owns the client and closes it.
 */
export async function connectRedis(
  url: string,
  options: ConnectRedisOptions = {},
): Promise<RedisClientType> {
  const server = describeServer(url);
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
  const startedAt = Date.now();
  let connected = false;
  const client: RedisClientType = createClient({
    url,
    disableOfflineQueue: true,
    // node-redis's own command timeout stops at the write, not the reply. A
    // socket that stays silent for commandTimeoutMs is destroyed instead; a
    // PING every half of it keeps a healthy idle connection from looking
    // silent (subscribers included: PING is allowed in subscribed mode).
    pingInterval: Math.max(1, Math.floor(commandTimeoutMs / 2)),
    socket: {
      connectTimeout: connectTimeoutMs,
      socketTimeout: commandTimeoutMs,
      reconnectStrategy: (retries) =>
        connected || Date.now() - startedAt < connectTimeoutMs ? backoff(retries) : false,
    },
  });
  watchOutages(client);
  client.once('ready', () => (connected = true));
  try {
    await client.connect();
  } catch (error) {
    if (client.isOpen) client.destroy();
    throw new Error(`Cannot connect to Redis at ${server}: ${describeError(error)}`, {
      cause: error,
    });
  }
  return client;
}

const watchedClients = new WeakSet<RedisConnection>();
const logger = new Logger('Redis');

/**
 * Logs the client's errors once per outage, however many stores share it, so
 * an 'error' event can never crash the process nor flood the log. On a
 * cluster, an outage lasts from the first node's error until every node that
 * failed is ready again. Idempotent.
 */
export function watchOutages(client: RedisConnection): void {
  if (watchedClients.has(client)) return;
  watchedClients.add(client);
  if (isRedisCluster(client)) {
    watchClusterOutages(client);
    return;
  }
  let inOutage = false;
  client.on('error', (error: unknown) => {
    if (inOutage) return;
    inOutage = true;
    logger.warn(`Redis connection failed: ${describeError(error)}`);
  });
  client.on('ready', () => {
    if (!inOutage) return;
    inOutage = false;
    logger.log('Redis connection restored');
  });
}

/** Where a cluster node's events come from, as node-redis reports it. */
interface NodeInfo {
  readonly host: string;
  readonly port: number;
}

function watchClusterOutages(cluster: RedisClusterType): void {
  // Addresses of the nodes in error; 'topology' while discovery fails.
  const failing = new Set<string>();
  const fail = (where: string, error: unknown): void => {
    if (failing.size === 0)
      logger.warn(`Redis Cluster connection failed (${where}): ${describeError(error)}`);
    failing.add(where);
  };
  const recover = (where: string): void => {
    if (!failing.delete(where)) return;
    failing.delete('topology');
    if (failing.size === 0) logger.log('Redis Cluster connection restored');
  };
  // Discovery errors (a seed or node unreachable while reading CLUSTER SLOTS):
  // without a listener an 'error' event would crash the process.
  cluster.on('error', (error: unknown) => fail('topology', error));
  cluster.on('node-error', (error: unknown, node: NodeInfo) =>
    fail(`${node.host}:${node.port}`, error),
  );
  // node-redis reports a node's first 'ready' only: its reconnections are
  // watched on the node's own client, which it creates before connecting.
  cluster.on('node-connect', (node: NodeInfo) => {
    const address = `${node.host}:${node.port}`;
    const client = cluster.nodeByAddress.get(address)?.client;
    if (client === undefined || watchedClients.has(client)) return;
    watchedClients.add(client);
    client.on('ready', () => recover(address));
  });
}
