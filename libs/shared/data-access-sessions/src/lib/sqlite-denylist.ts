import { Logger } from '@nestjs/common';
import { SqliteClient } from '@svt/shared/data-access-sql';
import type { Migration } from '@svt/shared/data-access-sql';
import { assertUntil } from './denylist';
import type { Denylist } from './denylist';
import { SqliteSweeper } from './sqlite-sweeper';

/** Options for `SqliteDenylist`. */
export interface SqliteDenylistOptions {
  /** The clock denials end by (default `Date.now`). */
  readonly now?: () => number;
  /** How often ended denials are deleted (default 60 s). */
  readonly sweepIntervalMs?: number;
}

/** Namespaced ids: the file holds the session store's tables and migrations too. */
const DENYLIST_MIGRATIONS: readonly Migration[] = [
  {
    id: 'denylist-001-create',
    up: `CREATE TABLE IF NOT EXISTS denied_sids (
           sid TEXT PRIMARY KEY,
           until BIGINT NOT NULL
         );
         CREATE INDEX IF NOT EXISTS denied_sids_until ON denied_sids (until)`,
  },
];

/**
 * `Denylist` in the SQLite file the local processes share with their
 * sessions, so a sid denied by one is refused by all. Ended denials are
 * never consulted and are deleted every `sweepIntervalMs`.
 */
export class SqliteDenylist implements Denylist {
  readonly #sql: SqliteClient;
  readonly #ownsClient: boolean;
  readonly #now: () => number;
  readonly #sweeper: SqliteSweeper;
  #closing: Promise<void> | undefined;

  private constructor(sql: SqliteClient, ownsClient: boolean, options: SqliteDenylistOptions) {
    this.#sql = sql;
    this.#ownsClient = ownsClient;
    this.#now = options.now ?? Date.now;
    this.#sweeper = new SqliteSweeper(
      (now) => sql.execute('DELETE FROM denied_sids WHERE until <= ?', [now]),
      {
        now: this.#now,
        intervalMs: options.sweepIntervalMs ?? 60_000,
        logger: new Logger(SqliteDenylist.name),
        what: 'ended denials',
      },
    );
  }

  /**
   * Opens (creating if needed) the denylist table in `file`. Rejects with an
   * Error naming the file when it cannot be opened.
   */
  static async open(file: string, options: SqliteDenylistOptions = {}): Promise<SqliteDenylist> {
    const sql = new SqliteClient(file);
    try {
      await sql.migrate(DENYLIST_MIGRATIONS);
    } catch (error) {
      await sql.close();
      throw error;
    }
    return new SqliteDenylist(sql, true, options);
  }

  /**
   * Creates (if needed) the denylist table on a client that other stores
   * share; `close()` stops the sweeper and leaves the client open for its owner.
   */
  static async on(sql: SqliteClient, options: SqliteDenylistOptions = {}): Promise<SqliteDenylist> {
    await sql.migrate(DENYLIST_MIGRATIONS);
    return new SqliteDenylist(sql, false, options);
  }

  async deny(sid: string, until: number): Promise<void> {
    assertUntil(until);
    if (until <= this.#now()) return;
    // One statement: two processes denying the same sid cannot lose the later `until`.
    await this.#sql.execute(
      `INSERT INTO denied_sids (sid, until) VALUES (?, ?)
       ON CONFLICT (sid) DO UPDATE SET until = MAX(denied_sids.until, excluded.until)`,
      [sid, until],
    );
    await this.#sweeper.sweepIfDue();
  }

  async isDenied(sid: string): Promise<boolean> {
    const rows = await this.#sql.query<{ denied: number }>(
      'SELECT 1 AS denied FROM denied_sids WHERE sid = ? AND until > ?',
      [sid, this.#now()],
    );
    return rows.length > 0;
  }

  /** Stops the sweeper and closes the file when `open` opened it. Idempotent. */
  close(): Promise<void> {
    this.#sweeper.stop();
    this.#closing ??= this.#ownsClient ? this.#sql.close() : Promise.resolve();
    return this.#closing;
  }
}
