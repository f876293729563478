import { join } from 'node:path';
import type { Denylist } from '@svt/shared/data-access-sessions';
import { connectRedis, RedisDenylist, SqliteDenylist } from '@svt/shared/data-access-sessions';
import { SqliteClient } from '@svt/shared/data-access-sql';
import type { SystemUnderTest } from '@svt/shared/testing';

/** The revocation list the services of a system share, opened by the bench. */
export interface DenylistStore {
  /** `SqliteDenylist` or `RedisDenylist`, as the services have it. */
  readonly adapter: string;
  readonly denylist: Denylist;
  close(): Promise<void>;
}

/**
 * Opens the adapter the services of `system` use on the store they share:
 * `sessions.sqlite` in their data dir, or Redis at `redisUrl` under their key
 * prefix. `forSeeding` lets an SQLite connection skip the fsync per commit:
 * only the bench's connection, never the services'.
 */
export async function openDenylistStore(
  system: SystemUnderTest,
  redisUrl: string | undefined,
  options: { forSeeding: boolean },
): Promise<DenylistStore> {
  if (system.backend === 'postgres+redis') {
    if (!redisUrl) throw new TypeError('a postgres+redis system needs REDIS_URL');
    const client = await connectRedis(redisUrl);
    return {
      adapter: RedisDenylist.name,
      denylist: new RedisDenylist(client, system.redisKeyPrefix),
      close: async () => {
        if (client.isOpen) await client.close();
      },
    };
  }
  const sql = new SqliteClient(join(system.dataDir, 'sessions.sqlite'));
  if (options.forSeeding) await sql.execute('PRAGMA synchronous = NORMAL');
  const denylist = await SqliteDenylist.on(sql);
  return {
    adapter: SqliteDenylist.name,
    denylist,
    close: async () => {
      await denylist.close();
      await sql.close();
    },
  };
}
