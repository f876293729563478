import { Logger } from '@nestjs/common';
import { SqliteClient } from '@svt/shared/data-access-sql';
import type { Migration } from '@svt/shared/data-access-sql';
import { assertUntil } from './denylist';
import type { Denial, DenialListener, Denylist, Following } from './denylist';
import { SqlitePolledFollowing } from './sqlite-polled-following';
import { SqliteSweeper } from './sqlite-sweeper';

/** Options for `SqliteDenylist`. */
export interface SqliteDenylistOptions {
  /** The clock denials end by (default `Date.now`). */
  readonly now?: () => number;
  /** How often ended denials are deleted (default 60 s). */
  readonly sweepIntervalMs?: number;
  /** How often `follow` looks for new denials (default 200 ms). */
  readonly pollIntervalMs?: number;
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
  {
    // AUTOINCREMENT: ids never go back, even after the sweeper deleted the
    // latest events, so a follower's cursor cannot skip a new one.
    id: 'denylist-002-events',
    up: `CREATE TABLE IF NOT EXISTS denylist_events (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           sid TEXT NOT NULL,
           until BIGINT NOT NULL
         );
         CREATE INDEX IF NOT EXISTS denylist_events_until ON denylist_events (until)`,
  },
];

interface EventRow {
  id: number;
  sid: string;
  until: number;
}

/**
 * `Denylist` in the SQLite file the local processes share with their
 * sessions, so a sid denied by one is refused by all. Each denial is also
 * appended to an event log that `follow` polls. Ended denials and events are
 * never consulted and are deleted every `sweepIntervalMs`.
 */
export class SqliteDenylist implements Denylist {
  readonly #sql: SqliteClient;
  readonly #ownsClient: boolean;
  readonly #now: () => number;
  readonly #pollIntervalMs: number;
  readonly #logger = new Logger(SqliteDenylist.name);
  readonly #sweeper: SqliteSweeper;
  readonly #followings = new Set<Following>();
  #closing: Promise<void> | undefined;

  private constructor(sql: SqliteClient, ownsClient: boolean, options: SqliteDenylistOptions) {
    this.#sql = sql;
    this.#ownsClient = ownsClient;
    this.#now = options.now ?? Date.now;
    this.#pollIntervalMs = options.pollIntervalMs ?? 200;
    this.#sweeper = new SqliteSweeper(
      async (now) => {
        await sql.execute('DELETE FROM denied_sids WHERE until <= ?', [now]);
        await sql.execute('DELETE FROM denylist_events WHERE until <= ?', [now]);
      },
      {
        now: this.#now,
        intervalMs: options.sweepIntervalMs ?? 60_000,
        logger: this.#logger,
        what: 'ended denials',
      },
    );
  }

  /**
   * Opens (creating if needed) the denylist tables in `file`. Rejects with an
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
   * Creates (if needed) the denylist tables on a client that other stores
   * share; `close()` stops the sweeper and the followings and leaves the
   * client open for its owner.
   */
  static async on(sql: SqliteClient, options: SqliteDenylistOptions = {}): Promise<SqliteDenylist> {
    await sql.migrate(DENYLIST_MIGRATIONS);
    return new SqliteDenylist(sql, false, options);
  }

  async deny(sid: string, until: number): Promise<void> {
    assertUntil(until);
    if (until <= this.#now()) return;
    // One transaction: a follower sees the event only once the denial is readable.
    await this.#sql.transaction(async (tx) => {
      // One statement: two processes denying the same sid cannot lose the later `until`.
      await tx.execute(
        `INSERT INTO denied_sids (sid, until) VALUES (?, ?)
         ON CONFLICT (sid) DO UPDATE SET until = MAX(denied_sids.until, excluded.until)`,
        [sid, until],
      );
      await tx.execute('INSERT INTO denylist_events (sid, until) VALUES (?, ?)', [sid, until]);
    });
    await this.#sweeper.sweepIfDue();
  }

  async isDenied(sid: string): Promise<boolean> {
    const rows = await this.#sql.query<{ denied: number }>(
      'SELECT 1 AS denied FROM denied_sids WHERE sid = ? AND until > ?',
      [sid, this.#now()],
    );
    return rows.length > 0;
  }

  async inForce(): Promise<Denial[]> {
    return this.#sql.query<Denial>('SELECT sid, until FROM denied_sids WHERE until > ?', [
      this.#now(),
    ]);
  }

  /**
   * Polls the event log every `pollIntervalMs` for the events after the
   * latest one at the time of the call. A failed poll is `lost`; the next
   * poll that succeeds delivers what it missed and is `resumed`. `close()`
   * stops it too.
   */
  async follow(listener: DenialListener): Promise<Following> {
    const following = await SqlitePolledFollowing.start<EventRow>(
      this.#sql,
      {
        rows: (rows) => {
          for (const row of rows) listener.denied({ sid: row.sid, until: row.until });
        },
        lost: () => listener.lost(),
        resumed: () => listener.resumed(),
      },
      {
        table: 'denylist_events',
        columns: 'sid, until',
        what: 'denylist events',
        intervalMs: this.#pollIntervalMs,
        logger: this.#logger,
        onStop: (stopped) => this.#followings.delete(stopped),
      },
    );
    this.#followings.add(following);
    return following;
  }

  /** Stops the sweeper and the followings, and closes the file when `open` opened it. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#sweeper.stop();
    await Promise.all([...this.#followings].map((following) => following.stop()));
    if (this.#ownsClient) await this.#sql.close();
  }
}
