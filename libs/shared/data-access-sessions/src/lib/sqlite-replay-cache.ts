import { Logger } from '@nestjs/common';
import { SqliteClient } from '@svt/shared/data-access-sql';
import type { Migration } from '@svt/shared/data-access-sql';
import { assertRememberMs } from './replay-cache';
import type { ReplayCache } from './replay-cache';
import { SqliteSweeper } from './sqlite-sweeper';

/** Options for `SqliteReplayCache`. */
export interface SqliteReplayCacheOptions {
  /** The clock ids are forgotten by (default `Date.now`). */
  readonly now?: () => number;
  /** How often forgotten ids are deleted (default 60 s). */
  readonly sweepIntervalMs?: number;
}

/** Namespaced ids: the file holds the other stores' tables and migrations too. */
const REPLAY_MIGRATIONS: readonly Migration[] = [
  {
    id: 'replays-001-create',
    up: `CREATE TABLE IF NOT EXISTS replays (
           id TEXT PRIMARY KEY,
           expires_at BIGINT NOT NULL
         );
         CREATE INDEX IF NOT EXISTS replays_expires_at ON replays (expires_at)`,
  },
];

/**
 * `ReplayCache` in the SQLite file the local processes share, one row per
 * remembered id in `replays`. A row past its time counts as absent and is
 * reused by the next use of its id; such rows are deleted every
 * `sweepIntervalMs`.
 */
export class SqliteReplayCache implements ReplayCache {
  readonly #sql: SqliteClient;
  readonly #ownsClient: boolean;
  readonly #now: () => number;
  readonly #sweeper: SqliteSweeper;
  #closing: Promise<void> | undefined;

  private constructor(sql: SqliteClient, ownsClient: boolean, options: SqliteReplayCacheOptions) {
    this.#sql = sql;
    this.#ownsClient = ownsClient;
    this.#now = options.now ?? Date.now;
    this.#sweeper = new SqliteSweeper(
      (now) => sql.execute('DELETE FROM replays WHERE expires_at <= ?', [now]),
      {
        now: this.#now,
        intervalMs: options.sweepIntervalMs ?? 60_000,
        logger: new Logger(SqliteReplayCache.name),
        what: 'forgotten replay-cache ids',
      },
    );
  }

  /**
   * Opens (creating if needed) the `replays` table in `file`. Rejects with an
   * Error naming the file when it cannot be opened.
   */
  static async open(
    file: string,
    options: SqliteReplayCacheOptions = {},
  ): Promise<SqliteReplayCache> {
    const sql = new SqliteClient(file);
    try {
      await sql.migrate(REPLAY_MIGRATIONS);
    } catch (error) {
      await sql.close();
      throw error;
    }
    return new SqliteReplayCache(sql, true, options);
  }

  /**
   * Creates (if needed) the `replays` table on a client that other stores
   * share; `close()` stops the sweeper and leaves the client open for its owner.
   */
  static async on(
    sql: SqliteClient,
    options: SqliteReplayCacheOptions = {},
  ): Promise<SqliteReplayCache> {
    await sql.migrate(REPLAY_MIGRATIONS);
    return new SqliteReplayCache(sql, false, options);
  }

  async firstUse(id: string, rememberMs: number): Promise<boolean> {
    assertRememberMs(rememberMs);
    const now = this.#now();
    // One statement: of two processes using an id at once, SQLite's write lock
    // lets exactly one insert the row, or take over one past its time.
    const changed = await this.#sql.execute(
      `INSERT INTO replays (id, expires_at) VALUES (?, ?)
       ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at
       WHERE replays.expires_at <= ?`,
      [id, now + rememberMs, now],
    );
    await this.#sweeper.sweepIfDue();
    return changed === 1;
  }

  async forget(id: string): Promise<void> {
    await this.#sql.execute('DELETE FROM replays WHERE id = ?', [id]);
  }

  /** Stops the sweeper and closes the file when `open` opened it. Idempotent. */
  close(): Promise<void> {
    this.#sweeper.stop();
    this.#closing ??= this.#ownsClient ? this.#sql.close() : Promise.resolve();
    return this.#closing;
  }
}
