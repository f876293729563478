import { Logger } from '@nestjs/common';
import { SqliteClient } from '@svt/shared/data-access-sql';
import type { Migration } from '@svt/shared/data-access-sql';
import { parseDeviceBinding } from './device-binding';
import type { DeviceBinding } from './device-binding';
import { DEFAULT_AMR, inCreationOrder } from './session-records';
import type { SessionRecord, SessionStore } from './session-store';
import { SqliteSweeper } from './sqlite-sweeper';

/** Options for `SqliteSessionStore`. */
export interface SqliteSessionStoreOptions {
  /** The clock expiry is judged by (default `Date.now`). */
  readonly now?: () => number;
  /** How often ended rows are deleted (default 60 s). */
  readonly sweepIntervalMs?: number;
}

/** Namespaced ids: the file may hold other stores' tables and migrations. */
export const SESSION_MIGRATIONS: readonly Migration[] = [
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
  {
    // Rows written before idle timeouts existed get 30 minutes, the usual
    // idle timeout, rather than living on idle until their absolute expiry.
    id: 'sessions-002-idle-timeout',
    up: 'ALTER TABLE sessions ADD COLUMN idle_timeout_ms BIGINT NOT NULL DEFAULT 1800000',
  },
  {
    id: 'sessions-003-credential-version',
    up: 'ALTER TABLE sessions ADD COLUMN credential_version BIGINT NOT NULL DEFAULT 0',
  },
  {
    // Nullable: rows written before single sign-on were password logins.
    id: 'sessions-004-sso-sid',
    up: 'ALTER TABLE sessions ADD COLUMN sso_sid TEXT',
  },
  {
    // The binding as JSON, and its version apart so that one conditional
    // UPDATE keeps the newer of two concurrent changes.
    id: 'sessions-005-device-binding',
    up: `ALTER TABLE sessions ADD COLUMN device_binding TEXT;
         ALTER TABLE sessions ADD COLUMN device_binding_version BIGINT NOT NULL DEFAULT 0`,
  },
  {
    // Nullable: rows written before second factors read as a password login
    // at their creation.
    id: 'sessions-006-authentication',
    up: `ALTER TABLE sessions ADD COLUMN amr TEXT;
         ALTER TABLE sessions ADD COLUMN auth_time BIGINT`,
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
  idle_timeout_ms: number;
  user_agent: string | null;
  ip: string | null;
  credential_version: number;
  sso_sid: string | null;
  device_binding: string | null;
  /** Space-separated. */
  amr: string | null;
  auth_time: number | null;
}

const COLUMNS =
  'id_hash, handle, user_id, csrf_token, created_at, expires_at, last_seen_at, idle_timeout_ms, user_agent, ip, credential_version, sso_sid, device_binding, amr, auth_time';

/** `now < sessionEndsAt(row)`, bound to `[now, now]`. */
const LIVE = 'expires_at > ? AND last_seen_at + idle_timeout_ms > ?';

/** The negation of `LIVE`, bound to `[now, now]`. */
const ENDED = '(expires_at <= ? OR last_seen_at + idle_timeout_ms <= ?)';

function toRecord(row: SessionRow): SessionRecord {
  return Object.freeze({
    idHash: row.id_hash,
    handle: row.handle,
    userId: row.user_id,
    csrfToken: row.csrf_token,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastSeenAt: row.last_seen_at,
    idleTimeoutMs: row.idle_timeout_ms,
    userAgent: row.user_agent,
    ip: row.ip,
    credentialVersion: row.credential_version,
    ssoSid: row.sso_sid,
    amr: row.amr ? row.amr.split(' ') : DEFAULT_AMR,
    authTime: row.auth_time ?? row.created_at,
    ...(row.device_binding === null
      ? {}
      : { deviceBinding: parseDeviceBinding(JSON.parse(row.device_binding)) }),
  });
}

/**
 * `SessionStore` on an SQLite file that the local processes (auth, gateway,
 * cart) share, so a session created by one is found by the others. Ended rows
 * (idle or expired) are never returned and are deleted every `sweepIntervalMs`.
 */
export class SqliteSessionStore implements SessionStore {
  readonly #sql: SqliteClient;
  readonly #ownsClient: boolean;
  readonly #now: () => number;
  readonly #sweeper: SqliteSweeper;
  #closing: Promise<void> | undefined;

  private constructor(sql: SqliteClient, ownsClient: boolean, options: SqliteSessionStoreOptions) {
    this.#sql = sql;
    this.#ownsClient = ownsClient;
    this.#now = options.now ?? Date.now;
    this.#sweeper = new SqliteSweeper(
      (now) => sql.execute(`DELETE FROM sessions WHERE ${ENDED}`, [now, now]),
      {
        now: this.#now,
        intervalMs: options.sweepIntervalMs ?? 60_000,
        logger: new Logger(SqliteSessionStore.name),
        what: 'ended sessions',
      },
    );
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
    return new SqliteSessionStore(sql, true, options);
  }

  /**
   * Creates (if needed) the session table on a client that other stores share;
   * `close()` stops the sweeper and leaves the client open for its owner.
   */
  static async on(
    sql: SqliteClient,
    options: SqliteSessionStoreOptions = {},
  ): Promise<SqliteSessionStore> {
    await sql.migrate(SESSION_MIGRATIONS);
    return new SqliteSessionStore(sql, false, options);
  }

  async create(record: SessionRecord): Promise<void> {
    await this.#sql.execute(
      `INSERT INTO sessions (${COLUMNS}, device_binding_version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        record.idHash,
        record.handle,
        record.userId,
        record.csrfToken,
        record.createdAt,
        record.expiresAt,
        record.lastSeenAt,
        record.idleTimeoutMs,
        record.userAgent,
        record.ip,
        record.credentialVersion,
        record.ssoSid,
        record.deviceBinding === undefined ? null : JSON.stringify(record.deviceBinding),
        record.amr.join(' '),
        record.authTime,
        record.deviceBinding?.version ?? 0,
      ],
    );
    await this.#sweeper.sweepIfDue();
  }

  async find(idHash: string): Promise<SessionRecord | null> {
    const now = this.#now();
    const [row] = await this.#sql.query<SessionRow>(
      `SELECT ${COLUMNS} FROM sessions WHERE id_hash = ? AND ${LIVE}`,
      [idHash, now, now],
    );
    return row === undefined ? null : toRecord(row);
  }

  async touch(idHash: string, lastSeenAt: number): Promise<void> {
    const now = this.#now();
    // One conditional statement: a concurrent touch, delete or sweep from
    // another process cannot slip between a read and this write.
    await this.#sql.execute(
      `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ? AND ${LIVE}`,
      [lastSeenAt, idHash, lastSeenAt, now, now],
    );
  }

  async saveDeviceBinding(idHash: string, binding: DeviceBinding): Promise<boolean> {
    const now = this.#now();
    const changed = await this.#sql.execute(
      `UPDATE sessions SET device_binding = ?, device_binding_version = ?
        WHERE id_hash = ? AND device_binding_version < ? AND ${LIVE}`,
      [JSON.stringify(binding), binding.version, idHash, binding.version, now, now],
    );
    return changed === 1;
  }

  async delete(idHash: string): Promise<void> {
    await this.#sql.execute('DELETE FROM sessions WHERE id_hash = ?', [idHash]);
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const now = this.#now();
    const rows = await this.#sql.query<SessionRow>(
      `SELECT ${COLUMNS} FROM sessions WHERE user_id = ? AND ${LIVE}`,
      [userId, now, now],
    );
    return inCreationOrder(rows.map(toRecord));
  }

  async deleteByUser(userId: string): Promise<number> {
    const now = this.#now();
    return this.#sql.transaction(async (tx) => {
      await tx.execute(`DELETE FROM sessions WHERE user_id = ? AND ${ENDED}`, [userId, now, now]);
      return tx.execute('DELETE FROM sessions WHERE user_id = ?', [userId]);
    });
  }

  async ping(): Promise<void> {
    await this.#sql.ping();
  }

  /** Stops the sweeper and closes the file when `open` opened it. Idempotent. */
  close(): Promise<void> {
    this.#sweeper.stop();
    this.#closing ??= this.#ownsClient ? this.#sql.close() : Promise.resolve();
    return this.#closing;
  }
}
