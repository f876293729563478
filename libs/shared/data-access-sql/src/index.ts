export type { Migration, SqlClient, SqlExecutor, SqlValue } from './lib/sql-client';
export { describeError, MigrationError } from './lib/migrations';
export { SqliteClient } from './lib/sqlite-client';
export { PostgresClient } from './lib/postgres-client';
export type { PostgresClientOptions } from './lib/postgres-client';
export { openSqlClient } from './lib/open-sql-client';
export type { OpenSqlClientOptions } from './lib/open-sql-client';
