import { RedisSessionStore } from './redis-session-store';
import type { SessionStore } from './session-store';
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
