import { Logger } from '@nestjs/common';
import { SqliteClient } from '@svt/shared/data-access-sql';
import type { Migration } from '@svt/shared/data-access-sql';
import { assertWindowMs, decideAttempt } from './rate-limit-store';
import type {
  Attempt,
  BackoffPolicy,
  BackoffState,
  RateLimitStore,
  RateLimitWindow,
} from './rate-limit-store';
import { SqliteSweeper } from './sqlite-sweeper';

/** Options for `SqliteRateLimitStore`. */
export interface SqliteRateLimitStoreOptions {
  /** The clock windows close by (default `Date.now`). */
  readonly now?: () => number;
  /** How often closed windows are deleted (default 60 s). */
  readonly sweepIntervalMs?: number;
}

/** Namespaced ids: the file holds the session store's tables and migrations too. */
const RATE_LIMIT_MIGRATIONS: readonly Migration[] = [
  {
    id: 'rate-limits-001-create',
    up: `CREATE TABLE IF NOT EXISTS rate_limits (
           key TEXT PRIMARY KEY,
           count BIGINT NOT NULL,
           reset_at BIGINT NOT NULL
         );
         CREATE INDEX IF NOT EXISTS rate_limits_reset_at ON rate_limits (reset_at)`,
  },
  {
    id: 'rate-limits-002-backoffs',
    up: `CREATE TABLE IF NOT EXISTS backoffs (
           key TEXT PRIMARY KEY,
           attempts BIGINT NOT NULL,
           window_ends_at BIGINT NOT NULL,
           blocked_until BIGINT NOT NULL,
           ends_at BIGINT NOT NULL
         );
         CREATE INDEX IF NOT EXISTS backoffs_ends_at ON backoffs (ends_at)`,
  },
];

interface BackoffRow {
  attempts: number;
  window_ends_at: number;
  blocked_until: number;
}

interface WindowRow {
  count: number;
  reset_at: number;
}

function toWindow(row: WindowRow): RateLimitWindow {
  return Object.freeze({ count: row.count, resetAt: row.reset_at });
}

/**
 * `RateLimitStore` in the SQLite file the local processes share with their
 * sessions, so they count against the same windows. Closed windows are never
 * reported and are deleted every `sweepIntervalMs`.
 */
export class SqliteRateLimitStore implements RateLimitStore {
  readonly #sql: SqliteClient;
  readonly #ownsClient: boolean;
  readonly #now: () => number;
  readonly #sweeper: SqliteSweeper;
  #closing: Promise<void> | undefined;

  private constructor(
    sql: SqliteClient,
    ownsClient: boolean,
    options: SqliteRateLimitStoreOptions,
  ) {
    this.#sql = sql;
    this.#ownsClient = ownsClient;
    this.#now = options.now ?? Date.now;
    this.#sweeper = new SqliteSweeper(
      async (now) => {
        await sql.execute('DELETE FROM rate_limits WHERE reset_at <= ?', [now]);
        await sql.execute('DELETE FROM backoffs WHERE ends_at <= ?', [now]);
      },
      {
        now: this.#now,
        intervalMs: options.sweepIntervalMs ?? 60_000,
        logger: new Logger(SqliteRateLimitStore.name),
        what: 'closed rate-limit windows and back-offs',
      },
    );
  }

  /**
   * Opens (creating if needed) the rate-limit table in `file`. Rejects with an
   * Error naming the file when it cannot be opened.
   */
  static async open(
    file: string,
    options: SqliteRateLimitStoreOptions = {},
  ): Promise<SqliteRateLimitStore> {
    const sql = new SqliteClient(file);
    try {
      await sql.migrate(RATE_LIMIT_MIGRATIONS);
    } catch (error) {
      await sql.close();
      throw error;
    }
    return new SqliteRateLimitStore(sql, true, options);
  }

  /**
   * Creates (if needed) the rate-limit table on a client that other stores
   * share; `close()` stops the sweeper and leaves the client open for its owner.
   */
  static async on(
    sql: SqliteClient,
    options: SqliteRateLimitStoreOptions = {},
  ): Promise<SqliteRateLimitStore> {
    await sql.migrate(RATE_LIMIT_MIGRATIONS);
    return new SqliteRateLimitStore(sql, false, options);
  }

  async hit(key: string, windowMs: number): Promise<RateLimitWindow> {
    assertWindowMs(windowMs);
    const now = this.#now();
    // One statement, so two processes' hits can neither read the same count
    // nor both open a window; a closed window's row is reused for the new one.
    const [row] = await this.#sql.query<WindowRow>(
      `INSERT INTO rate_limits (key, count, reset_at) VALUES (?, 1, ?)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_limits.reset_at <= ? THEN 1 ELSE rate_limits.count + 1 END,
         reset_at = CASE WHEN rate_limits.reset_at <= ? THEN ? ELSE rate_limits.reset_at END
       RETURNING count, reset_at`,
      [key, now + windowMs, now, now, now + windowMs],
    );
    await this.#sweeper.sweepIfDue();
    return toWindow(row);
  }

  async peek(key: string): Promise<RateLimitWindow | null> {
    const [row] = await this.#sql.query<WindowRow>(
      'SELECT count, reset_at FROM rate_limits WHERE key = ? AND reset_at > ?',
      [key, this.#now()],
    );
    return row === undefined ? null : toWindow(row);
  }

  async reset(key: string): Promise<void> {
    await this.#sql.execute('DELETE FROM rate_limits WHERE key = ?', [key]);
  }

  async attempt(key: string, policy: BackoffPolicy): Promise<Attempt> {
    const now = this.#now();
    // BEGIN IMMEDIATE: the read and the write are one step for every process
    // sharing the file, so no two attempts are given the same number.
    const attempt = await this.#sql.transaction(async (tx) => {
      const [row] = await tx.query<BackoffRow>(
        'SELECT attempts, window_ends_at, blocked_until FROM backoffs WHERE key = ?',
        [key],
      );
      const state: BackoffState | null = row
        ? {
            attempts: row.attempts,
            windowEndsAt: row.window_ends_at,
            blockedUntil: row.blocked_until,
          }
        : null;
      const decided = decideAttempt(state, policy, now);
      const { next } = decided;
      if (next) {
        await tx.execute(
          `INSERT INTO backoffs (key, attempts, window_ends_at, blocked_until, ends_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET attempts = excluded.attempts,
             window_ends_at = excluded.window_ends_at, blocked_until = excluded.blocked_until,
             ends_at = excluded.ends_at`,
          [
            key,
            next.attempts,
            next.windowEndsAt,
            next.blockedUntil,
            Math.max(next.windowEndsAt, next.blockedUntil),
          ],
        );
      }
      return decided.attempt;
    });
    await this.#sweeper.sweepIfDue();
    return attempt;
  }

  async forgive(key: string): Promise<void> {
    await this.#sql.execute('DELETE FROM backoffs WHERE key = ?', [key]);
  }

  /** Stops the sweeper and closes the file when `open` opened it. Idempotent. */
  close(): Promise<void> {
    this.#sweeper.stop();
    this.#closing ??= this.#ownsClient ? this.#sql.close() : Promise.resolve();
    return this.#closing;
  }
}
