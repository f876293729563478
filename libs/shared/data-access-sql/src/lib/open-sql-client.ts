import { PostgresClient } from './postgres-client';
import type { Migration, SqlClient } from './sql-client';
import { SqliteClient } from './sqlite-client';

/** Where the database lives: a server when `databaseUrl` is set, else a file. */
export interface OpenSqlClientOptions {
  /** A `postgres://` URL; blank or absent selects SQLite. */
  readonly databaseUrl?: string;
  /** The SQLite file used when there is no `databaseUrl`. */
  readonly sqliteFile: string;
  /** Applied before the client is returned (schema changes run on start). */
  readonly migrations?: readonly Migration[];
}

/**
 * Opens the configured database and checks that it answers. Rejects with an
 * Error naming the server or file (never a password) when it cannot.
 */
export async function openSqlClient(options: OpenSqlClientOptions): Promise<SqlClient> {
  const client = options.databaseUrl
    ? await PostgresClient.connect(options.databaseUrl)
    : new SqliteClient(options.sqliteFile);
  try {
    await client.ping();
    if (options.migrations) await client.migrate(options.migrations);
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
}
