import { Logger } from '@nestjs/common';
import { SqliteClient } from '@svt/shared/data-access-sql';
import type { Migration } from '@svt/shared/data-access-sql';
import {
  checkedExpiresAt,
  consumedAt,
  epochSeconds,
  indexedFields,
  readPayload,
  SESSION_MODEL,
} from './oidc-entries';
import type { OidcPayload, OidcStateStore } from './oidc-state-store';
import { SqliteSweeper } from './sqlite-sweeper';

/** Options for `SqliteOidcStateStore`. */
export interface SqliteOidcStateStoreOptions {
  /** The clock expiry is judged by (default `Date.now`). */
  readonly now?: () => number;
  /** How often expired rows are deleted (default 60 s). */
  readonly sweepIntervalMs?: number;
}

/** Namespaced ids: the file holds the other stores' tables and migrations too. */
export const OIDC_STATE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'oidc-state-001-create',
    up: `CREATE TABLE IF NOT EXISTS oidc_state (
           model TEXT NOT NULL,
           id TEXT NOT NULL,
           payload TEXT NOT NULL,
           expires_at BIGINT,
           consumed BIGINT,
           grant_id TEXT,
           uid TEXT,
           user_code TEXT,
           account_id TEXT,
           PRIMARY KEY (model, id)
         );
         CREATE INDEX IF NOT EXISTS oidc_state_expires_at ON oidc_state (expires_at);
         CREATE INDEX IF NOT EXISTS oidc_state_grant_id ON oidc_state (grant_id);
         CREATE INDEX IF NOT EXISTS oidc_state_uid ON oidc_state (model, uid);
         CREATE INDEX IF NOT EXISTS oidc_state_user_code ON oidc_state (model, user_code);
         CREATE INDEX IF NOT EXISTS oidc_state_account_id ON oidc_state (account_id)`,
  },
];

interface PayloadRow {
  payload: string;
  consumed: number | null;
}

/** Live at `now`, bound to `[now]`. */
const LIVE = '(expires_at IS NULL OR expires_at > ?)';

/**
 * `OidcStateStore` in the SQLite file the local processes share, one row per
 * entry in `oidc_state` with its indexed fields as columns. Expired rows are
 * never returned and are deleted every `sweepIntervalMs`.
 */
export class SqliteOidcStateStore implements OidcStateStore {
  readonly #sql: SqliteClient;
  readonly #ownsClient: boolean;
  readonly #now: () => number;
  readonly #sweeper: SqliteSweeper;
  #closing: Promise<void> | undefined;

  private constructor(
    sql: SqliteClient,
    ownsClient: boolean,
    options: SqliteOidcStateStoreOptions,
  ) {
    this.#sql = sql;
    this.#ownsClient = ownsClient;
    this.#now = options.now ?? Date.now;
    this.#sweeper = new SqliteSweeper(
      (now) => sql.execute('DELETE FROM oidc_state WHERE expires_at <= ?', [now]),
      {
        now: this.#now,
        intervalMs: options.sweepIntervalMs ?? 60_000,
        logger: new Logger(SqliteOidcStateStore.name),
        what: 'expired OpenID Provider state',
      },
    );
  }

  /**
   * Opens (creating if needed) the `oidc_state` table in `file`. Rejects with
   * an Error naming the file when it cannot be opened.
   */
  static async open(
    file: string,
    options: SqliteOidcStateStoreOptions = {},
  ): Promise<SqliteOidcStateStore> {
    const sql = new SqliteClient(file);
    try {
      await sql.migrate(OIDC_STATE_MIGRATIONS);
    } catch (error) {
      await sql.close();
      throw error;
    }
    return new SqliteOidcStateStore(sql, true, options);
  }

  /**
   * Creates (if needed) the `oidc_state` table on a client that other stores
   * share; `close()` stops the sweeper and leaves the client open for its owner.
   */
  static async on(
    sql: SqliteClient,
    options: SqliteOidcStateStoreOptions = {},
  ): Promise<SqliteOidcStateStore> {
    await sql.migrate(OIDC_STATE_MIGRATIONS);
    return new SqliteOidcStateStore(sql, false, options);
  }

  async upsert(
    model: string,
    id: string,
    payload: OidcPayload,
    expiresInSeconds?: number,
  ): Promise<void> {
    this.#assertOpen();
    const expiresAt = checkedExpiresAt(model, id, this.#now(), expiresInSeconds);
    const indexed = indexedFields(model, payload);
    await this.#sql.execute(
      `INSERT INTO oidc_state
         (model, id, payload, expires_at, consumed, grant_id, uid, user_code, account_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload,
         expires_at = excluded.expires_at, consumed = excluded.consumed,
         grant_id = excluded.grant_id, uid = excluded.uid, user_code = excluded.user_code,
         account_id = excluded.account_id`,
      [
        model,
        id,
        JSON.stringify(payload),
        expiresAt,
        consumedAt(payload),
        indexed.grantId,
        indexed.uid,
        indexed.userCode,
        indexed.accountId,
      ],
    );
    await this.#sweeper.sweepIfDue();
  }

  find(model: string, id: string): Promise<OidcPayload | undefined> {
    return this.#findOne('id = ?', model, id);
  }

  findByUid(model: string, uid: string): Promise<OidcPayload | undefined> {
    return this.#findOne('uid = ?', model, uid);
  }

  findByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined> {
    return this.#findOne('user_code = ?', model, userCode);
  }

  async consume(model: string, id: string): Promise<boolean> {
    this.#assertOpen();
    const now = this.#now();
    // One conditional statement: of two processes consuming at once, SQLite's
    // write lock lets exactly one of them change the row.
    const changed = await this.#sql.execute(
      `UPDATE oidc_state SET consumed = ?
       WHERE model = ? AND id = ? AND consumed IS NULL AND ${LIVE}`,
      [epochSeconds(now), model, id, now],
    );
    return changed === 1;
  }

  async destroy(model: string, id: string): Promise<void> {
    this.#assertOpen();
    await this.#sql.execute('DELETE FROM oidc_state WHERE model = ? AND id = ?', [model, id]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.#assertOpen();
    await this.#sql.execute('DELETE FROM oidc_state WHERE grant_id = ?', [grantId]);
  }

  async sessionIdsByAccount(accountId: string): Promise<string[]> {
    this.#assertOpen();
    const rows = await this.#sql.query<{ id: string }>(
      `SELECT id FROM oidc_state WHERE model = ? AND account_id = ? AND ${LIVE} ORDER BY id`,
      [SESSION_MODEL, accountId, this.#now()],
    );
    return rows.map((row) => row.id);
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    await this.#sql.ping();
  }

  /** Stops the sweeper and closes the file when `open` opened it. Idempotent. */
  close(): Promise<void> {
    this.#sweeper.stop();
    this.#closing ??= this.#ownsClient ? this.#sql.close() : Promise.resolve();
    return this.#closing;
  }

  async #findOne(where: string, model: string, value: string): Promise<OidcPayload | undefined> {
    this.#assertOpen();
    // oidc-provider makes uids and user codes unique; should two live rows
    // share one all the same, the newer row answers.
    const [row] = await this.#sql.query<PayloadRow>(
      `SELECT payload, consumed FROM oidc_state
       WHERE model = ? AND ${where} AND ${LIVE} ORDER BY rowid DESC LIMIT 1`,
      [model, value, this.#now()],
    );
    return row === undefined ? undefined : readPayload(row.payload, row.consumed);
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new Error('SqliteOidcStateStore is closed');
  }
}
