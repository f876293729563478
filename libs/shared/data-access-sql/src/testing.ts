import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { PostgresClient } from './lib/postgres-client';
import type { Migration, SqlClient, SqlExecutor, SqlValue } from './lib/sql-client';
import { SqliteClient } from './lib/sqlite-client';

/** One database technology to run a contract suite against. */
export interface SqlBackend {
  readonly name: 'sqlite' | 'postgres';
  /** A client on a fresh, empty database; closing it deletes the database. */
  open(): Promise<SqlClient>;
  /**
   * Two clients on one fresh database, as two processes would hold; the
   * database is deleted once both are closed.
   */
  openPair(): Promise<readonly [SqlClient, SqlClient]>;
}

let warnedPostgresSkipped = false;

/**
 * The backends available here: SQLite always, PostgreSQL when DATABASE_URL
 * points at a server whose user may create databases.
 */
export function sqlBackends(): SqlBackend[] {
  // eslint-disable-next-line no-restricted-syntax -- test harness reads the CI-provided server URL
  const databaseUrl = process.env['DATABASE_URL'];
  const backends: SqlBackend[] = [sqliteBackend];
  if (databaseUrl) {
    backends.push(postgresBackend(databaseUrl));
  } else if (!warnedPostgresSkipped) {
    warnedPostgresSkipped = true;
    console.warn(
      'SKIPPED: PostgreSQL adapter suite — set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run it',
    );
  }
  return backends;
}

const sqliteBackend: SqlBackend = {
  name: 'sqlite',
  open: async () => (await openSqlite(1))[0],
  openPair: async () => {
    const [a, b] = await openSqlite(2);
    return [a, b];
  },
};

async function openSqlite(count: number): Promise<SqlClient[]> {
  const dir = await mkdtemp(join(tmpdir(), 'svt-sql-'));
  const dispose = onceAllClosed(count, () => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'test.sqlite');
  return Array.from(
    { length: count },
    () => new DisposableSqlClient(new SqliteClient(file), dispose),
  );
}

function postgresBackend(adminUrl: string): SqlBackend {
  const open = async (count: number): Promise<SqlClient[]> => {
    const name = `svt_test_${randomBytes(8).toString('hex')}`;
    await asAdmin(adminUrl, `CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const dispose = onceAllClosed(count, () =>
      asAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    );
    const clients: SqlClient[] = [];
    try {
      for (let i = 0; i < count; i++) {
        clients.push(
          new DisposableSqlClient(await PostgresClient.connect(url.toString()), dispose),
        );
      }
    } catch (error) {
      await Promise.all(clients.map((client) => client.close()));
      throw error;
    }
    return clients;
  };
  return {
    name: 'postgres',
    open: async () => (await open(1))[0],
    openPair: async () => {
      const [a, b] = await open(2);
      return [a, b];
    },
  };
}

async function asAdmin(adminUrl: string, sql: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** A cleanup that runs when it has been called `count` times. */
function onceAllClosed(count: number, cleanup: () => Promise<void>): () => Promise<void> {
  let remaining = count;
  return async (): Promise<void> => {
    if (--remaining === 0) await cleanup();
  };
}

/** Delegates to a client and runs a cleanup after closing it, once. */
class DisposableSqlClient implements SqlClient {
  #closing: Promise<void> | undefined;

  constructor(
    private readonly inner: SqlClient,
    private readonly dispose: () => Promise<void>,
  ) {}

  get dialect(): SqlClient['dialect'] {
    return this.inner.dialect;
  }

  query<Row extends object>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.inner.query<Row>(sql, params);
  }

  execute(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.inner.execute(sql, params);
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.inner.transaction(work);
  }

  migrate(migrations: readonly Migration[]): Promise<void> {
    return this.inner.migrate(migrations);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    this.#closing ??= this.inner.close().then(this.dispose);
    return this.#closing;
  }
}
