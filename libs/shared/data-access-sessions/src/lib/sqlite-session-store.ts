import { Logger } from '@nestjs/common';
import { describeError, SqliteClient } from '@svt/shared/data-access-sql';
import type { Migration } from '@svt/shared/data-access-sql';
import { inCreationOrder } from './session-records';
import type { SessionRecord, SessionStore } from './session-store';

/** Options for `SqliteSessionStore`. */
export interface SqliteSessionStoreOptions {
  /** The clock expiry is judged by (default `Date.now`). */
  readonly now?: () => number;
  /** How often expired rows are deleted (default 60 s). */
  readonly sweepIntervalMs?: number;
}

/** Namespaced ids: the file may hold other stores' tables and migrations. */
const SESSION_MIGRATIONS: readonly Migration[] = [
  {
    id: 'sessions-001-create',
    up: `CREATE TABLE IF NOT EXISTS sessions (
           id_hash TEXT PRIMARY KEY,
           handle TEXT NOT NULL UNIQUE,
           user_id TEXT NOT NULL,
           csrf_token TEXT NOT NULL,
           created_at BIGINT NOT NULL,
           expires_at BIGINT NOT NULL,
           last_seen_at BIGINT NOT NULL,
           user_agent TEXT,
           ip TEXT
         );
         CREATE INDEX IF NOT EXISTS sessions_user_id ON sessions (user_id);
         CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at)`,
  },
];

interface SessionRow {
  id_hash: string;
  handle: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  user_agent: string | null;
  ip: string | null;
}

const COLUMNS =
  'id_hash, handle, user_id, csrf_token, created_at, expires_at, last_seen_at, user_agent, ip';

function toRecord(row: SessionRow): SessionRecord {
  return Object.freeze({
    idHash: row.id_hash,
    handle: row.handle,
    userId: row.user_id,
    csrfToken: row.csrf_token,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastSeenAt: row.last_seen_at,
    userAgent: row.user_agent,
    ip: row.ip,
  });
}

/**
 * `SessionStore` on an SQLite file that the local processes (auth, gateway,
 * cart) share, so a session created by one is found by the others. Expired
 * rows are never returned and are deleted every `sweepIntervalMs`.
 */
export class SqliteSessionStore implements SessionStore {
  readonly #sql: SqliteClient;
  readonly #now: () => number;
  readonly #sweepIntervalMs: number;
  readonly #sweeper: NodeJS.Timeout;
  readonly #logger = new Logger(SqliteSessionStore.name);
  #lastSweepAt: number;
  #closing: Promise<void> | undefined;

  private constructor(sql: SqliteClient, options: SqliteSessionStoreOptions) {
    this.#sql = sql;
    this.#now = options.now ?? Date.now;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    this.#lastSweepAt = this.#now();
    this.#sweeper = setInterval(() => {
      this.#sweep().catch((error: unknown) =>
        this.#logger.warn(`Sweeping expired sessions failed: ${describeError(error)}`),
      );
    }, this.#sweepIntervalMs);
    // Housekeeping must not keep a process alive that is otherwise done.
    this.#sweeper.unref();
  }

  /**
   * Opens (creating if needed) the session table in `file`. Rejects with an
   * Error naming the file when it cannot be opened.
   */
  static async open(
    file: string,
    options: SqliteSessionStoreOptions = {},
  ): Promise<SqliteSessionStore> {
    const sql = new SqliteClient(file);
    try {
      await sql.migrate(SESSION_MIGRATIONS);
    } catch (error) {
      await sql.close();
      throw error;
    }
    return new SqliteSessionStore(sql, options);
  }

  async create(record: SessionRecord): Promise<void> {
    await this.#sql.execute(
      `INSERT INTO sessions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        record.idHash,
        record.handle,
        record.userId,
        record.csrfToken,
        record.createdAt,
        record.expiresAt,
        record.lastSeenAt,
        record.userAgent,
        record.ip,
      ],
    );
    if (this.#now() - this.#lastSweepAt >= this.#sweepIntervalMs) {
      await this.#sweep();
    }
  }

  async find(idHash: string): Promise<SessionRecord | null> {
    const [row] = await this.#sql.query<SessionRow>(
      `SELECT ${COLUMNS} FROM sessions WHERE id_hash = ? AND expires_at > ?`,
      [idHash, this.#now()],
    );
    return row === undefined ? null : toRecord(row);
  }

  async delete(idHash: string): Promise<void> {
    await this.#sql.execute('DELETE FROM sessions WHERE id_hash = ?', [idHash]);
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const rows = await this.#sql.query<SessionRow>(
      `SELECT ${COLUMNS} FROM sessions WHERE user_id = ? AND expires_at > ?`,
      [userId, this.#now()],
    );
    return inCreationOrder(rows.map(toRecord));
  }

  async deleteByUser(userId: string): Promise<number> {
    return this.#sql.transaction(async (tx) => {
      await tx.execute('DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?', [
        userId,
        this.#now(),
      ]);
      return tx.execute('DELETE FROM sessions WHERE user_id = ?', [userId]);
    });
  }

  async ping(): Promise<void> {
    await this.#sql.ping();
  }

  /** Stops the sweeper and closes the file. Idempotent. */
  close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#closing ??= this.#sql.close();
    return this.#closing;
  }

  async #sweep(): Promise<void> {
    this.#lastSweepAt = this.#now();
    await this.#sql.execute('DELETE FROM sessions WHERE expires_at <= ?', [this.#lastSweepAt]);
  }
}
