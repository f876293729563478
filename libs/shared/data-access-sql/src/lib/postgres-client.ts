import { Logger } from '@nestjs/common';
import { AppError } from '@svt/shared/util-errors';
import { Pool, types } from 'pg';
import type { CustomTypesConfig, PoolClient, QueryResultRow } from 'pg';
import {
  CREATE_MIGRATIONS_TABLE,
  MigrationError,
  describeError,
  orderMigrations,
} from './migrations';
import type { Migration, SqlClient, SqlExecutor, SqlValue } from './sql-client';

/** Tuning for the connection pool. */
export interface PostgresClientOptions {
  /** Most connections held at once (default 10). */
  readonly maxConnections?: number;
  /** How long to wait for a connection before failing (default 5000 ms). */
  readonly connectTimeoutMs?: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Advisory locks live per database, so this only serialises the starters of
 * one database; the value itself is arbitrary.
 */
const MIGRATION_LOCK_KEY = 4_217_035_911;

function parseNumber(text: string): number {
  const value = Number(text);
  if (Math.abs(value) > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`${text} does not fit a JavaScript number exactly`);
  }
  return value;
}

/**
 * Reads int8 (BIGINT, COUNT) and numeric (SUM, AVG) as numbers, as SQLite
 * does, for this pool only: the global `pg.types` stays untouched for others.
 */
const numbersAsNumbers: CustomTypesConfig = {
  getTypeParser: (oid, format) =>
    (oid as number) === INT8_OID || (oid as number) === NUMERIC_OID
      ? parseNumber
      : types.getTypeParser(oid, format),
};

/**
 * Rewrites `?` placeholders to `$1..$n`, leaving any `?` inside a quoted
 * literal or identifier alone.
 */
export function toPositionalParameters(sql: string): string {
  let position = 0;
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\?/g, (match) =>
    match === '?' ? `$${++position}` : match,
  );
}

/**
 * The server a URL points at, without credentials, for error messages.
 * Throws when the URL does not parse (without echoing it: it may hold a password).
 */
export function describeServer(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('The database URL is not a valid URL');
  }
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

type Queryable = Pool | PoolClient;

/** Socket errors of a server that is down, unreachable or gone. */
const NETWORK_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that cannot serve now (PostgreSQL appendix A):
 * class 08 connection exceptions, shutdowns, and too many connections.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** pg's own messages for a connection that never came or broke, which carry no code. */
const LOST_CONNECTION =
  /timeout exceeded when trying to connect|Connection terminated|connection error|Client was closed/i;

/**
 * Whether `error` says the database could not be reached, rather than that
 * a statement was wrong: the first is `store_unavailable`, the second a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Duck-typed: errors from another realm (a worker, a test sandbox) fail instanceof.
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    return NETWORK_FAILURES.has(code) || code.startsWith('08') || UNAVAILABLE_STATES.has(code);
  }
  return typeof message === 'string' && LOST_CONNECTION.test(message);
}

/**
 * Rethrows a failure to reach the database as `store_unavailable`, so a
 * request fails closed with an answer that says what happened (never an
 * internal error); any other error as it is.
 */
function rethrowAsStoreUnavailable(error: unknown): never {
  if (isDatabaseUnavailable(error)) {
    throw new AppError('store_unavailable', 'The database is unavailable.', { cause: error });
  }
  throw error;
}

async function run(
  on: Queryable,
  sql: string,
  params: readonly SqlValue[],
): Promise<{ rows: QueryResultRow[]; rowCount: number | null }> {
  return on
    .query<QueryResultRow>(toPositionalParameters(sql), [...params])
    .catch(rethrowAsStoreUnavailable);
}

/**
 * `SqlClient` on PostgreSQL through a `pg` pool (DATABASE_URL).
 * Placeholders are rewritten from `?` to `$n`; BIGINT and COUNT read as numbers.
 */
export class PostgresClient implements SqlClient {
  readonly dialect = 'postgres' as const;
  readonly #pool: Pool;
  readonly #logger = new Logger(PostgresClient.name);
  readonly #connections = new Set<PoolClient>();
  #allDisconnected: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  /**
   * Creates the pool without connecting; prefer `PostgresClient.connect`,
   * which fails fast when the server is unreachable.
   */
  constructor(databaseUrl: string, options: PostgresClientOptions = {}) {
    const server = describeServer(databaseUrl);
    this.#pool = new Pool({
      connectionString: databaseUrl,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      types: numbersAsNumbers,
    });
    // An idle connection that breaks emits on the pool; unhandled, that
    // 'error' would end the process.
    this.#pool.on('error', (error) =>
      this.#logger.warn(`Idle connection to ${server} failed: ${describeError(error)}`),
    );
    this.#pool.on('connect', (connection) => this.#connections.add(connection));
    this.#pool.on('remove', (connection) => {
      this.#connections.delete(connection);
      if (this.#connections.size === 0) this.#allDisconnected?.();
    });
  }

  /**
   * Opens a pool and checks that the server answers. Rejects with an Error
   * naming the server (never the password) when it does not.
   */
  static async connect(
    databaseUrl: string,
    options: PostgresClientOptions = {},
  ): Promise<PostgresClient> {
    const server = describeServer(databaseUrl);
    const client = new PostgresClient(databaseUrl, options);
    try {
      await client.ping();
    } catch (error) {
      await client.close();
      throw new Error(`Cannot connect to PostgreSQL at ${server}: ${describeError(error)}`, {
        cause: error,
      });
    }
    return client;
  }

  async query<Row extends object>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return (await run(this.#pool, sql, params)).rows as Row[];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await run(this.#pool, sql, params)).rowCount ?? 0;
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#inTransaction(async (connection) => {
      let open = true;
      const ifOpen = (): void => {
        if (!open) throw new Error('The transaction has already ended');
      };
      const tx: SqlExecutor = {
        query: async <Row extends object>(sql: string, params: readonly SqlValue[] = []) => {
          ifOpen();
          return (await run(connection, sql, params)).rows as Row[];
        },
        execute: async (sql, params = []) => {
          ifOpen();
          return (await run(connection, sql, params)).rowCount ?? 0;
        },
      };
      try {
        return await work(tx);
      } finally {
        open = false;
      }
    });
  }

  async migrate(migrations: readonly Migration[]): Promise<void> {
    for (const migration of orderMigrations(migrations)) {
      await this.#inTransaction(async (connection) => {
        // Held until this transaction ends: concurrent starters take turns,
        // and the later ones find the migration recorded.
        await connection.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
        await connection.query(CREATE_MIGRATIONS_TABLE);
        const applied = await connection.query('SELECT 1 FROM schema_migrations WHERE id = $1', [
          migration.id,
        ]);
        if (applied.rowCount) return;
        try {
          // Without parameters pg uses the simple protocol, which accepts
          // several statements separated by `;`.
          await connection.query(migration.up);
        } catch (error) {
          throw new MigrationError(migration.id, error);
        }
        await connection.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [
          migration.id,
          Date.now(),
        ]);
      });
    }
  }

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  /**
   * Ends the pool once its clients are released, resolving when every
   * connection is closed. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#end();
    return this.#closing;
  }

  async #end(): Promise<void> {
    // pool.end() resolves before the sockets close; waiting for each
    // 'remove' makes close() mean the server has seen us go.
    const disconnected =
      this.#connections.size === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => (this.#allDisconnected = resolve));
    await this.#pool.end();
    await disconnected;
  }

  async #inTransaction<T>(work: (connection: PoolClient) => Promise<T>): Promise<T> {
    const connection = await this.#pool.connect().catch(rethrowAsStoreUnavailable);
    let broken = false;
    try {
      await connection.query('BEGIN');
      const result = await work(connection);
      await connection.query('COMMIT');
      return result;
    } catch (error) {
      await connection.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      // A connection that could not roll back is destroyed, not pooled.
      connection.release(broken);
    }
  }
}
