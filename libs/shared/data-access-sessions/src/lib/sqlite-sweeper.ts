import type { Logger } from '@nestjs/common';
import { describeError } from '@svt/shared/data-access-sql';

/** Options for a `SqliteSweeper`. */
export interface SqliteSweeperOptions {
  /** The clock that decides which rows have ended. */
  readonly now: () => number;
  /** How often the rows are swept. */
  readonly intervalMs: number;
  /** Where a failed sweep is reported; it is retried on the next interval. */
  readonly logger: Logger;
  /** What is swept, for the log, e.g. `ended sessions`. */
  readonly what: string;
}

/**
 * Deletes the ended rows of an SQLite table every `intervalMs`, so a file that
 * only ever grows cannot fill the disk. Reads never depend on it: every query
 * already leaves ended rows out.
 */
export class SqliteSweeper {
  readonly #sweep: (now: number) => Promise<unknown>;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #timer: NodeJS.Timeout;
  #lastSweepAt: number;

  /** Starts sweeping with `sweep(now)`, which deletes the rows ended at `now`. */
  constructor(sweep: (now: number) => Promise<unknown>, options: SqliteSweeperOptions) {
    this.#sweep = sweep;
    this.#now = options.now;
    this.#intervalMs = options.intervalMs;
    this.#lastSweepAt = this.#now();
    this.#timer = setInterval(() => {
      this.#run().catch((error: unknown) =>
        options.logger.warn(`Sweeping ${options.what} failed: ${describeError(error)}`),
      );
    }, this.#intervalMs);
    // Housekeeping must not keep a process alive that is otherwise done.
    this.#timer.unref();
  }

  /**
   * Sweeps when `intervalMs` has passed by the injected clock since the last
   * sweep; writers call it, so the table stays bounded by that clock too.
   */
  async sweepIfDue(): Promise<void> {
    if (this.#now() - this.#lastSweepAt >= this.#intervalMs) await this.#run();
  }

  /** Stops the timer. Idempotent. */
  stop(): void {
    clearInterval(this.#timer);
  }

  async #run(): Promise<void> {
    this.#lastSweepAt = this.#now();
    await this.#sweep(this.#lastSweepAt);
  }
}
