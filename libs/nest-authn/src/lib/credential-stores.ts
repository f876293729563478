import { fileURLToPath } from 'node:url';
import type { Denylist, ReplayCache, SessionStore } from '@svt/shared/data-access-sessions';
import {
  connectRedis,
  MirroredDenylist,
  RedisDenylist,
  RedisReplayCache,
  RedisSessionStore,
  SqliteDenylist,
  SqliteReplayCache,
  SqliteSessionStore,
} from '@svt/shared/data-access-sessions';
import { SqliteClient } from '@svt/shared/data-access-sql';

/**
 * What the authenticators read: the sessions the cookie names, the
 * revocations of sessions and token families (mirrored in memory, so a
 * Bearer request does not wait on the store), and the DPoP proofs already seen.
 */
export interface CredentialStores {
  readonly sessions: SessionStore;
  readonly denylist: Denylist;
  readonly replays: ReplayCache;
  /** Stops following revocations, then closes the connection. Idempotent. */
  close(): Promise<void>;
}

export interface OpenCredentialStoresOptions {
  /** Prepended to every Redis key (default none). */
  readonly redisKeyPrefix?: string;
}

interface Closable {
  close(): Promise<void>;
}

/**
 * Opens the stores at `url`: Redis for a `redis://` or `rediss://` URL, else
 * the SQLite file at that path (or `file:` URL). Rejects when the store cannot
 * be reached, naming it without its password, rather than start an
 * application that would answer every request with 503.
 */
export function openCredentialStores(
  url: string,
  options: OpenCredentialStoresOptions = {},
): Promise<CredentialStores> {
  return /^rediss?:\/\//i.test(url)
    ? openOnRedis(url, options.redisKeyPrefix ?? '')
    : openOnSqlite(url.startsWith('file:') ? fileURLToPath(url) : url);
}

async function openOnRedis(url: string, prefix: string): Promise<CredentialStores> {
  const client = await connectRedis(url);
  const closeClient = async (): Promise<void> => {
    if (client.isOpen) await client.close();
  };
  try {
    // Revocations arrive by pub/sub on a connection of the mirror's own.
    const denylist = await MirroredDenylist.start(new RedisDenylist(client, prefix));
    return stores(
      new RedisSessionStore(client, prefix),
      denylist,
      new RedisReplayCache(client, prefix),
      // The mirror first: its subscriber closes before the client.
      [denylist, { close: closeClient }],
    );
  } catch (error) {
    await closeClient();
    throw error;
  }
}

async function openOnSqlite(file: string): Promise<CredentialStores> {
  const sql = new SqliteClient(file);
  // Closed in reverse order of opening: the sweepers and the poller stop before the file closes.
  const closables: Closable[] = [sql];
  try {
    const sessions = await SqliteSessionStore.on(sql);
    closables.unshift(sessions);
    const source = await SqliteDenylist.on(sql);
    closables.unshift(source);
    const replays = await SqliteReplayCache.on(sql);
    closables.unshift(replays);
    const denylist = await MirroredDenylist.start(source);
    closables.unshift(denylist);
    return stores(sessions, denylist, replays, closables);
  } catch (error) {
    await closeInOrder(closables);
    throw error;
  }
}

function stores(
  sessions: SessionStore,
  denylist: Denylist,
  replays: ReplayCache,
  closables: readonly Closable[],
): CredentialStores {
  let closing: Promise<void> | undefined;
  return Object.freeze({
    sessions,
    denylist,
    replays,
    close: () => (closing ??= closeInOrder(closables)),
  });
}

async function closeInOrder(closables: readonly Closable[]): Promise<void> {
  for (const closable of closables) await closable.close();
}
