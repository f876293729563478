import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import {
  CREATE_MIGRATIONS_TABLE,
  MigrationError,
  describeError,
  orderMigrations,
} from './migrations';
import type { Migration, SqlClient, SqlExecutor, SqlValue } from './sql-client';

const BUSY_TIMEOUT_MS = 5000;
const STATEMENT_CACHE_SIZE = 100;

/** Runs tasks one at a time, in call order. */
class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  /** Tasks queued or running. */
  #pending = 0;

  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(task);
    this.#tail = result.then(
      () => this.#pending--,
      () => this.#pending--,
    );
    return result;
  }

  /**
   * A synchronous task at once when nothing is queued or running, which is
   * the same order as queuing it; queued behind the others otherwise. Most
   * statements (a session read on every request) find the file idle, and
   * skip the queue's promises.
   */
  runSync<T>(task: () => T): Promise<T> {
    if (this.#pending > 0) return this.run(task);
    try {
      return Promise.resolve(task());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/**
 * One mutex per database file for the whole process: two clients on the same
 * file would otherwise deadlock, one holding the write lock across an `await`
 * while the other blocks the event loop in SQLite's busy handler.
 */
const fileLocks = new Map<string, { mutex: Mutex; clients: number }>();

/** The file mutexes the current async context holds (inside `transaction`). */
const heldLocks = new AsyncLocalStorage<ReadonlySet<Mutex>>();

function acquireFileLock(path: string): Mutex {
  const entry = fileLocks.get(path) ?? { mutex: new Mutex(), clients: 0 };
  entry.clients++;
  fileLocks.set(path, entry);
  return entry.mutex;
}

function releaseFileLock(path: string): void {
  const entry = fileLocks.get(path);
  if (entry && --entry.clients === 0) fileLocks.delete(path);
}

/**
 * `SqlClient` on an SQLite file (better-sqlite3), the embedded default.
 *
 * better-sqlite3 is synchronous while `transaction(work)` awaits inside, so
 * every operation of this process on the file goes through a mutex: no
 * statement interleaves with an open transaction. A statement that finds the
 * mutex free runs at once; one that does not waits its turn. Other processes
 * sharing the file are kept out by `BEGIN IMMEDIATE` and waited for up to 5 s.
 */
export class SqliteClient implements SqlClient {
  readonly dialect = 'sqlite' as const;
  /** The absolute path of the database file. */
  readonly file: string;
  readonly #db: Database.Database;
  readonly #lock: Mutex;
  readonly #statements = new Map<string, Statement<SqlValue[]>>();
  #closed = false;

  /**
   * Opens (or creates) the database at `file`, creating its directory.
   * Throws an Error naming the file when it cannot be opened.
   */
  constructor(file: string) {
    this.file = resolve(file);
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      db = new Database(this.file);
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
    } catch (error) {
      db?.close();
      throw new Error(`Cannot open SQLite database ${this.file}: ${describeError(error)}`, {
        cause: error,
      });
    }
    this.#db = db;
    this.#lock = acquireFileLock(this.file);
  }

  query<Row extends object>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return this.#exclusiveSync(() => this.#query<Row>(sql, params));
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#exclusiveSync(() => this.#execute(sql, params));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      this.#db.exec('BEGIN IMMEDIATE');
      let open = true;
      const ifOpen = <R>(run: () => R): Promise<R> =>
        open
          ? Promise.resolve().then(run)
          : Promise.reject(new Error('The transaction has already ended'));
      const tx: SqlExecutor = {
        query: <Row extends object>(sql: string, params: readonly SqlValue[] = []) =>
          ifOpen(() => this.#query<Row>(sql, params)),
        execute: (sql, params = []) => ifOpen(() => this.#execute(sql, params)),
      };
      const held = new Set(heldLocks.getStore()).add(this.#lock);
      try {
        const result = await heldLocks.run(held, () => work(tx));
        this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw error;
      } finally {
        open = false;
      }
    });
  }

  async migrate(migrations: readonly Migration[]): Promise<void> {
    const ordered = orderMigrations(migrations);
    // Synchronous from BEGIN to COMMIT: nothing of this process can run in
    // between, and other processes wait on the write lock.
    await this.#exclusive(() => {
      this.#db.exec(CREATE_MIGRATIONS_TABLE);
      const applied = this.#db.prepare<[string]>('SELECT 1 FROM schema_migrations WHERE id = ?');
      const record = this.#db.prepare<[string, number]>(
        'INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)',
      );
      for (const migration of ordered) {
        this.#db.exec('BEGIN IMMEDIATE');
        try {
          if (applied.get(migration.id) === undefined) {
            this.#db.exec(migration.up);
            record.run(migration.id, Date.now());
          }
          this.#db.exec('COMMIT');
        } catch (error) {
          if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
          throw new MigrationError(migration.id, error);
        }
      }
    });
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  /** Waits for queued operations, then closes the file. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return this.#lock.run(() => {
      this.#statements.clear();
      this.#db.close();
      releaseFileLock(this.file);
    });
  }

  #exclusive<T>(task: () => T | Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new Error(`SqliteClient ${this.file} is closed`));
    }
    if (heldLocks.getStore()?.has(this.#lock)) {
      // Queuing behind our own open transaction would wait forever.
      return Promise.reject(
        new TypeError(
          'A statement on the client inside its own transaction would deadlock: use the executor passed to transaction()',
        ),
      );
    }
    return this.#lock.run(task);
  }

  /** `#exclusive` for a synchronous statement: at once when the file's queue is empty. */
  #exclusiveSync<T>(task: () => T): Promise<T> {
    if (this.#closed || heldLocks.getStore()?.has(this.#lock)) return this.#exclusive(task);
    return this.#lock.runSync(task);
  }

  #query<Row extends object>(sql: string, params: readonly SqlValue[]): Row[] {
    const statement = this.#prepare(sql);
    if (!statement.reader) {
      statement.run(...params);
      return [];
    }
    return statement.all(...params) as Row[];
  }

  #execute(sql: string, params: readonly SqlValue[]): number {
    return this.#prepare(sql).run(...params).changes;
  }

  #prepare(sql: string): Statement<SqlValue[]> {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare<SqlValue[]>(sql);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        const oldest = this.#statements.keys().next().value;
        if (oldest !== undefined) this.#statements.delete(oldest);
      }
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
