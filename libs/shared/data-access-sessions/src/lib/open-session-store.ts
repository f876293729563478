import { join } from 'node:path';
import type { FactoryProvider } from '@nestjs/common';
import { RedisSessionStore } from './redis-session-store';
import type { SessionStore } from './session-store';
import { SESSION_STORE } from './session-store';
import { SqliteSessionStore } from './sqlite-session-store';

/** Where sessions live: Redis when `redisUrl` is set, else a shared SQLite file. */
export interface OpenSessionStoreOptions {
  /** A `redis://` or `rediss://` URL; blank or absent selects SQLite. */
  readonly redisUrl?: string;
  /** Prepended to every Redis key, e.g. `svt:`. */
  readonly redisKeyPrefix: string;
  /** The SQLite file shared by the local processes. */
  readonly sqliteFile: string;
}

/**
 * Opens the configured session store. Rejects with an Error naming the server
 * or file (never a password) when it cannot be reached.
 */
export function openSessionStore(options: OpenSessionStoreOptions): Promise<SessionStore> {
  return options.redisUrl
    ? RedisSessionStore.connect(options.redisUrl, options.redisKeyPrefix)
    : SqliteSessionStore.open(options.sqliteFile);
}

/**
 * The SESSION_STORE provider: Redis when `redisUrl` is set, else
 * `sessions.sqlite` in the data directory that the local processes share.
 * A service that also needs the denylist or rate limits uses
 * `provideSharedState`, which puts all three on one connection.
 */
export function provideSessionStore(options: {
  readonly redisUrl?: string;
  readonly redisKeyPrefix: string;
  readonly dataDir: string;
}): FactoryProvider<Promise<SessionStore>> {
  return {
    provide: SESSION_STORE,
    useFactory: () =>
      openSessionStore({
        redisUrl: options.redisUrl,
        redisKeyPrefix: options.redisKeyPrefix,
        sqliteFile: join(options.dataDir, 'sessions.sqlite'),
      }),
  };
}
