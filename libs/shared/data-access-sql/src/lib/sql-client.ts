/**
 * A value bound to a statement. Booleans are stored as 0/1 and instants as
 * epoch milliseconds (BIGINT), so rows read the same on SQLite and PostgreSQL.
 */
export type SqlValue = string | number | null;

/** Runs statements. Placeholders are `?`; each adapter rewrites them for its dialect. */
export interface SqlExecutor {
  /** The rows a statement returns (a SELECT, or a statement with RETURNING). */
  query<Row extends object>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** A statement without rows; resolves to the number of rows it changed. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** One ordered schema change, written in the SQL both dialects understand. */
export interface Migration {
  /** Sortable and unique, e.g. `001-users`. */
  readonly id: string;
  readonly up: string;
}

/**
 * The port to a relational database. Adapters: `SqliteClient` (the embedded
 * default, a file under DATA_DIR) and `PostgresClient` (DATABASE_URL).
 */
export interface SqlClient extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `work` in one transaction; rolls back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Applies the migrations not yet applied, in id order, safely across concurrent starters. */
  migrate(migrations: readonly Migration[]): Promise<void>;
  /** Resolves when the database answers; rejects otherwise (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
