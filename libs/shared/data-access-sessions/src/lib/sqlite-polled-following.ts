import type { Logger } from '@nestjs/common';
import { describeError } from '@svt/shared/data-access-sql';
import type { SqliteClient } from '@svt/shared/data-access-sql';
import type { Following } from './denylist';

/** What a `SqlitePolledFollowing` delivers: each poll's new rows, and the gaps in their delivery. */
export interface PolledRowsListener<Row extends { readonly id: number }> {
  /** The rows added since the last poll, in id order; never called with none. */
  rows(rows: readonly Row[]): void;
  /** A poll failed: delivery may have gaps from now on. Once per outage. */
  lost(): void;
  /** A poll succeeded after `lost`; it delivered what the failed ones missed. */
  resumed(): void;
}

export interface SqlitePolledFollowingOptions {
  /** The table of events, whose `id` only grows (AUTOINCREMENT). */
  readonly table: string;
  /** The columns a row carries besides `id`, as in a SELECT list. */
  readonly columns: string;
  /** What the rows are, for the log line of a failed poll ("denylist events"). */
  readonly what: string;
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Told when `stop()` is first called, so the owner can forget the following. */
  readonly onStop: (following: SqlitePolledFollowing<never>) => void;
}

/**
 * How the processes sharing an SQLite file follow an event table (the
 * denylist's events, the cart changes): one poll at a time, each
 * `intervalMs` after the last, for the rows after the last one seen. A failed
 * poll is `lost`; the next that succeeds delivers what it missed and is
 * `resumed`.
 */
export class SqlitePolledFollowing<Row extends { readonly id: number }> implements Following {
  readonly #sql: SqliteClient;
  readonly #listener: PolledRowsListener<Row>;
  readonly #options: SqlitePolledFollowingOptions;
  readonly #select: string;
  #after: number;
  #lost = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> = Promise.resolve();

  private constructor(
    sql: SqliteClient,
    listener: PolledRowsListener<Row>,
    options: SqlitePolledFollowingOptions,
    after: number,
  ) {
    this.#sql = sql;
    this.#listener = listener;
    this.#options = options;
    this.#select = `SELECT id, ${options.columns} FROM ${options.table} WHERE id > ? ORDER BY id`;
    this.#after = after;
    this.#schedule();
  }

  /** Follows the rows added from now on: those already in the table are not delivered. */
  static async start<Row extends { readonly id: number }>(
    sql: SqliteClient,
    listener: PolledRowsListener<Row>,
    options: SqlitePolledFollowingOptions,
  ): Promise<SqlitePolledFollowing<Row>> {
    const [latest] = await sql.query<{ id: number | null }>(
      `SELECT MAX(id) AS id FROM ${options.table}`,
    );
    return new SqlitePolledFollowing(sql, listener, options, latest?.id ?? 0);
  }

  async stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      clearTimeout(this.#timer);
      this.#options.onStop(this as SqlitePolledFollowing<never>);
    }
    await this.#polling;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#polling = this.#poll().finally(() => this.#schedule());
    }, this.#options.intervalMs);
    // Following must not keep a process alive that is otherwise done.
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    let rows: Row[];
    try {
      rows = await this.#sql.query<Row>(this.#select, [this.#after]);
    } catch (error) {
      if (this.#stopped || this.#lost) return;
      this.#lost = true;
      this.#options.logger.warn(
        `Polling the ${this.#options.what} failed: ${describeError(error)}`,
      );
      this.#listener.lost();
      return;
    }
    if (this.#stopped) return;
    if (rows.length > 0) {
      this.#after = rows[rows.length - 1].id;
      this.#listener.rows(rows);
    }
    if (this.#lost) {
      this.#lost = false;
      this.#listener.resumed();
    }
  }
}
