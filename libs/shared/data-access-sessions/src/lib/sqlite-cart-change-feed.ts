import { Logger } from '@nestjs/common';
import type { Migration, SqliteClient } from '@svt/shared/data-access-sql';
import type { CartChangeFeed, CartChangeListener } from './cart-change-feed';
import type { Following } from './denylist';
import { SqlitePolledFollowing } from './sqlite-polled-following';
import { SqliteSweeper } from './sqlite-sweeper';

/** Options for `SqliteCartChangeFeed`. */
export interface SqliteCartChangeFeedOptions {
  /** The clock the rows are stamped and swept by (default `Date.now`). */
  readonly now?: () => number;
  /** How often `follow` looks for new changes (default 200 ms, as the denylist's feed). */
  readonly pollIntervalMs?: number;
  /** How long a change stays in the table for pollers to see (default 60 s). */
  readonly retentionMs?: number;
}

const CART_CHANGE_MIGRATIONS: readonly Migration[] = [
  {
    // AUTOINCREMENT: ids never go back, even after the sweeper deleted the
    // latest rows, so a follower's cursor cannot skip a new one.
    id: 'cart-changes-001-create',
    up: `CREATE TABLE IF NOT EXISTS cart_changes (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           user_id TEXT NOT NULL,
           at BIGINT NOT NULL
         );
         CREATE INDEX IF NOT EXISTS cart_changes_at ON cart_changes (at)`,
  },
];

interface ChangeRow {
  id: number;
  user_id: string;
}

/**
 * `CartChangeFeed` in the SQLite file the local processes share: a change is
 * a row (user id and time), and each follower polls for the rows after the
 * last it saw, as the denylist's feed does. Rows older than `retentionMs`
 * have been seen by every live follower and are deleted.
 */
export class SqliteCartChangeFeed implements CartChangeFeed {
  readonly #sql: SqliteClient;
  readonly #now: () => number;
  readonly #pollIntervalMs: number;
  readonly #logger = new Logger(SqliteCartChangeFeed.name);
  readonly #sweeper: SqliteSweeper;
  readonly #followings = new Set<Following>();

  private constructor(sql: SqliteClient, options: SqliteCartChangeFeedOptions) {
    this.#sql = sql;
    this.#now = options.now ?? Date.now;
    this.#pollIntervalMs = options.pollIntervalMs ?? 200;
    const retentionMs = options.retentionMs ?? 60_000;
    this.#sweeper = new SqliteSweeper(
      (now) => sql.execute('DELETE FROM cart_changes WHERE at <= ?', [now - retentionMs]),
      { now: this.#now, intervalMs: retentionMs, logger: this.#logger, what: 'cart changes' },
    );
  }

  /** Creates (if needed) the table on a client that other stores share; `close()` leaves it open. */
  static async on(
    sql: SqliteClient,
    options: SqliteCartChangeFeedOptions = {},
  ): Promise<SqliteCartChangeFeed> {
    await sql.migrate(CART_CHANGE_MIGRATIONS);
    return new SqliteCartChangeFeed(sql, options);
  }

  async publish(userId: string): Promise<void> {
    await this.#sql.execute('INSERT INTO cart_changes (user_id, at) VALUES (?, ?)', [
      userId,
      this.#now(),
    ]);
    await this.#sweeper.sweepIfDue();
  }

  /**
   * Polls every `pollIntervalMs` for the rows after the latest one at the
   * time of the call. A failed poll is `lost`; the next that succeeds
   * delivers what it missed and is `resumed`.
   */
  async follow(listener: CartChangeListener): Promise<Following> {
    const following = await SqlitePolledFollowing.start<ChangeRow>(
      this.#sql,
      {
        // Several changes of one cart in a poll are one fetch for the follower.
        rows: (rows) => {
          for (const userId of new Set(rows.map((row) => row.user_id))) listener.changed(userId);
        },
        lost: () => listener.lost(),
        resumed: () => listener.resumed(),
      },
      {
        table: 'cart_changes',
        columns: 'user_id',
        what: 'cart changes',
        intervalMs: this.#pollIntervalMs,
        logger: this.#logger,
        onStop: (stopped) => this.#followings.delete(stopped),
      },
    );
    this.#followings.add(following);
    return following;
  }

  /** Stops the sweeper and the followings; the file stays open for its owner. Idempotent. */
  async close(): Promise<void> {
    this.#sweeper.stop();
    await Promise.all([...this.#followings].map((following) => following.stop()));
  }
}
