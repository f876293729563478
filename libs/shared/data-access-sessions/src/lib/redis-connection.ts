import { Logger } from '@nestjs/common';
import { describeError } from '@svt/shared/data-access-sql';
import { createClient } from 'redis';
import type { RedisClientType } from 'redis';

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
function describeServer(url: string): string {
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

const watchedClients = new WeakSet<RedisClientType>();
const logger = new Logger('Redis');

/**
 * Logs the client's errors once per outage, however many stores share it, so
 * an 'error' event can never crash the process nor flood the log. Idempotent.
 */
export function watchOutages(client: RedisClientType): void {
  if (watchedClients.has(client)) return;
  watchedClients.add(client);
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
