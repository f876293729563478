import { join } from 'node:path';
import type { FactoryProvider } from '@nestjs/common';
import { SqliteClient } from '@svt/shared/data-access-sql';
import { CART_CHANGE_FEED } from './cart-change-feed';
import type { CartChangeFeed } from './cart-change-feed';
import { DENYLIST } from './denylist';
import type { Denylist } from './denylist';
import { RATE_LIMIT_STORE } from './rate-limit-store';
import type { RateLimitStore } from './rate-limit-store';
import { MemorySessionStore } from './memory-session-store';
import { MirroredDenylist } from './mirrored-denylist';
import { OIDC_STATE_STORE } from './oidc-state-store';
import type { OidcStateStore } from './oidc-state-store';
import { connectRedisCluster, parseRedisSeedUrls } from './redis-cluster-connection';
import { connectRedis, pingRedis } from './redis-connection';
import { RedisCartChangeFeed } from './redis-cart-change-feed';
import { RedisDenylist } from './redis-denylist';
import { RedisOidcStateStore } from './redis-oidc-state-store';
import { RedisRateLimitStore } from './redis-rate-limit-store';
import { RedisReplayCache } from './redis-replay-cache';
import { RedisSessionStore } from './redis-session-store';
import { REPLAY_CACHE } from './replay-cache';
import type { ReplayCache } from './replay-cache';
import { SESSION_STORE } from './session-store';
import type { SessionStore } from './session-store';
import { SqliteCartChangeFeed } from './sqlite-cart-change-feed';
import { SqliteDenylist } from './sqlite-denylist';
import { SqliteOidcStateStore } from './sqlite-oidc-state-store';
import { SqliteRateLimitStore } from './sqlite-rate-limit-store';
import { SqliteReplayCache } from './sqlite-replay-cache';
import { SqliteSessionStore } from './sqlite-session-store';

/**
 * The session store, denylist, rate-limit counters, replay cache and OpenID
 * Provider state of a service, on one connection.
 */
export interface SharedState {
  readonly sessions: SessionStore;
  /**
   * A `MirroredDenylist` over the backend's: `isDenied` answers from memory
   * while the revocation feed is up, and asks the backend while it is not.
   */
  readonly denylist: Denylist;
  readonly rateLimits: RateLimitStore;
  /** Single-use ids: DPoP proof `jti`s, logout token `jti`s. */
  readonly replays: ReplayCache;
  /** What oidc-provider keeps: its sessions, interactions, codes, tokens and grants. */
  readonly oidc: OidcStateStore;
  /** "This user's cart changed", from the cart service to the gateways' live carts. */
  readonly cartChanges: CartChangeFeed;
  /** Resolves when the backend answers (readiness). */
  ping(): Promise<void>;
  /** Stops following revocations, then closes the connection (and sweepers). Idempotent. */
  close(): Promise<void>;
}

/** Nest injection token for the `SharedState` of a service; the app closes it on shutdown. */
export const SHARED_STATE = Symbol.for('svt.SharedState');

/** Where the shared state lives: Redis when `redisUrl` is set, else a shared SQLite file. */
export interface OpenSharedStateOptions {
  /**
   * A `redis://` or `rediss://` URL, or with `redisCluster` a comma-separated
   * list of a cluster's seed nodes; blank or absent selects SQLite.
   */
  readonly redisUrl?: string;
  /** Whether `redisUrl` lists the seed nodes of a Redis Cluster (default false). */
  readonly redisCluster?: boolean;
  /** Prepended to every Redis key, e.g. `svt:`. */
  readonly redisKeyPrefix: string;
  /** The SQLite file shared by the local processes. */
  readonly sqliteFile: string;
  /**
   * The clock sessions, denials, windows, remembered ids and OIDC state are
   * judged by (default `Date.now`); on Redis, the server's clock expires keys.
   */
  readonly now?: () => number;
  /** How long the first Redis connection may take, retries included (default 5000 ms). */
  readonly redisConnectTimeoutMs?: number;
  /** How long a Redis command may wait for its reply (default 1000 ms); see `connectRedis`. */
  readonly redisCommandTimeoutMs?: number;
}

/** Options for `provideSharedState`. */
export interface ProvideSharedStateOptions {
  /**
   * A `redis://` or `rediss://` URL, or with `redisCluster` a comma-separated
   * list of a cluster's seed nodes; blank or absent selects SQLite.
   */
  readonly redisUrl?: string;
  /** Whether `redisUrl` lists the seed nodes of a Redis Cluster (default false). */
  readonly redisCluster?: boolean;
  /** Prepended to every Redis key, e.g. `svt:`. */
  readonly redisKeyPrefix: string;
  /** The data directory the local processes share; holds `sessions.sqlite`. */
  readonly dataDir: string;
  /** How long a Redis command may wait for its reply (default 1000 ms); see `connectRedis`. */
  readonly redisCommandTimeoutMs?: number;
  /**
   * `shared` (default): sessions on the shared backend. `memory`: sessions in
   * this process only, on purpose, to show that replicas then do not know
   * each other's sessions; the denylist, counters, replay cache and OIDC
   * state stay shared.
   */
  readonly sessions?: 'shared' | 'memory';
}

/** Anything a `SharedState` closes when it closes. */
interface Closable {
  close(): Promise<void>;
}

/**
 * Opens the session store, denylist, rate-limit counters, replay cache and
 * OpenID Provider state on one connection:
 * one Redis client (see `connectRedis`) when `redisUrl` is set, one cluster
 * client (see `connectRedisCluster`) when `redisCluster` is set too, else one
 * `SqliteClient` on `sqliteFile`. Rejects with an Error naming the servers or
 * file (never a password) when they cannot be reached, and with a TypeError
 * when `redisUrl` lists several servers without `redisCluster`.
 */
export function openSharedState(options: OpenSharedStateOptions): Promise<SharedState> {
  return options.redisUrl ? openOnRedis(options.redisUrl, options) : openOnSqlite(options);
}

async function openOnRedis(url: string, options: OpenSharedStateOptions): Promise<SharedState> {
  const connectOptions = {
    connectTimeoutMs: options.redisConnectTimeoutMs,
    commandTimeoutMs: options.redisCommandTimeoutMs,
  };
  if (!options.redisCluster && url.includes(',')) {
    throw new TypeError(
      'The Redis URL lists several servers: set REDIS_CLUSTER=true to use them as the seeds of a Redis Cluster',
    );
  }
  const client = options.redisCluster
    ? await connectRedisCluster(parseRedisSeedUrls(url), connectOptions)
    : await connectRedis(url, connectOptions);
  const prefix = options.redisKeyPrefix;
  const clock = { now: options.now };
  const closeClient = async (): Promise<void> => {
    if (client.isOpen) await client.close();
  };
  let denylist: MirroredDenylist;
  try {
    denylist = await MirroredDenylist.start(
      new RedisDenylist(client, prefix, {
        ...clock,
        followConnectTimeoutMs: options.redisConnectTimeoutMs,
      }),
      clock,
    );
  } catch (error) {
    await closeClient();
    throw error;
  }
  const oidc = new RedisOidcStateStore(client, prefix, clock);
  return sharedState({
    sessions: new RedisSessionStore(client, prefix, clock),
    denylist,
    rateLimits: new RedisRateLimitStore(client, prefix, clock),
    replays: new RedisReplayCache(client, prefix),
    oidc,
    cartChanges: new RedisCartChangeFeed(client, prefix, {
      followConnectTimeoutMs: options.redisConnectTimeoutMs,
    }),
    ping: () => pingRedis(client),
    // The mirror first: its subscriber connection closes before the client.
    closables: [denylist, oidc, { close: closeClient }],
  });
}

async function openOnSqlite(options: OpenSharedStateOptions): Promise<SharedState> {
  const sql = new SqliteClient(options.sqliteFile);
  const clock = { now: options.now };
  // Closed in reverse: the mirror stops polling and the adapters' sweepers
  // stop before the file closes.
  const closables: Closable[] = [sql];
  try {
    const sessions = await SqliteSessionStore.on(sql, clock);
    closables.unshift(sessions);
    const sqliteDenylist = await SqliteDenylist.on(sql, clock);
    closables.unshift(sqliteDenylist);
    const rateLimits = await SqliteRateLimitStore.on(sql, clock);
    closables.unshift(rateLimits);
    const replays = await SqliteReplayCache.on(sql, clock);
    closables.unshift(replays);
    const oidc = await SqliteOidcStateStore.on(sql, clock);
    closables.unshift(oidc);
    const cartChanges = await SqliteCartChangeFeed.on(sql, clock);
    closables.unshift(cartChanges);
    const denylist = await MirroredDenylist.start(sqliteDenylist, clock);
    closables.unshift(denylist);
    return sharedState({
      sessions,
      denylist,
      rateLimits,
      replays,
      oidc,
      cartChanges,
      ping: () => sql.ping(),
      closables,
    });
  } catch (error) {
    await closeInOrder(closables);
    throw error;
  }
}

function sharedState(parts: {
  sessions: SessionStore;
  denylist: Denylist;
  rateLimits: RateLimitStore;
  replays: ReplayCache;
  oidc: OidcStateStore;
  cartChanges: CartChangeFeed;
  ping: () => Promise<void>;
  closables: readonly Closable[];
}): SharedState {
  let closing: Promise<void> | undefined;
  return Object.freeze({
    sessions: parts.sessions,
    denylist: parts.denylist,
    rateLimits: parts.rateLimits,
    replays: parts.replays,
    oidc: parts.oidc,
    cartChanges: parts.cartChanges,
    ping: parts.ping,
    close: () => (closing ??= closeInOrder(parts.closables)),
  });
}

async function closeInOrder(closables: readonly Closable[]): Promise<void> {
  for (const closable of closables) await closable.close();
}

/**
 * Providers for SHARED_STATE, SESSION_STORE, DENYLIST, RATE_LIMIT_STORE,
 * REPLAY_CACHE, OIDC_STATE_STORE and CART_CHANGE_FEED: Redis when `redisUrl` is set (a Redis
 * Cluster with `redisCluster`), else `sessions.sqlite` in `dataDir`. The five
 * ports share the one connection of SHARED_STATE; the app closes SHARED_STATE
 * on shutdown.
 */
export function provideSharedState(options: ProvideSharedStateOptions): FactoryProvider[] {
  return [
    {
      provide: SHARED_STATE,
      useFactory: (): Promise<SharedState> =>
        openSharedState({
          redisUrl: options.redisUrl,
          redisCluster: options.redisCluster,
          redisKeyPrefix: options.redisKeyPrefix,
          redisCommandTimeoutMs: options.redisCommandTimeoutMs,
          sqliteFile: join(options.dataDir, 'sessions.sqlite'),
        }),
    },
    {
      provide: SESSION_STORE,
      useFactory: (state: SharedState): SessionStore =>
        options.sessions === 'memory' ? new MemorySessionStore() : state.sessions,
      inject: [SHARED_STATE],
    },
    {
      provide: DENYLIST,
      useFactory: (state: SharedState): Denylist => state.denylist,
      inject: [SHARED_STATE],
    },
    {
      provide: RATE_LIMIT_STORE,
      useFactory: (state: SharedState): RateLimitStore => state.rateLimits,
      inject: [SHARED_STATE],
    },
    {
      provide: REPLAY_CACHE,
      useFactory: (state: SharedState): ReplayCache => state.replays,
      inject: [SHARED_STATE],
    },
    {
      provide: OIDC_STATE_STORE,
      useFactory: (state: SharedState): OidcStateStore => state.oidc,
      inject: [SHARED_STATE],
    },
    {
      provide: CART_CHANGE_FEED,
      useFactory: (state: SharedState): CartChangeFeed => state.cartChanges,
      inject: [SHARED_STATE],
    },
  ];
}
