import type { SqlClient } from '@svt/shared/data-access-sql';

/**
 * Which login started a pending login, and the only one that may finish it:
 * the session or token route, or the OpenID Provider's login page (`sso`).
 */
export type PendingLoginKind = 'session' | 'token' | 'sso';

/**
 * A login whose password matched and whose second factor is still owed: no
 * session or token exists yet. Its handle is stored only as a SHA-256 hash.
 */
export interface PendingLogin {
  readonly handleHash: string;
  readonly userId: string;
  readonly kind: PendingLoginKind;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly usedAt: number | null;
  /** Wrong codes so far; the handle dies once they reach the configured limit. */
  readonly failedAttempts: number;
  /** The user's credential version at the password step: a change since voids the handle. */
  readonly credentialVersion: number;
  /** RFC 9449: the DPoP key of the first step, which the second must prove again. */
  readonly dpopJkt: string | null;
}

/** The port to pending logins. */
export interface PendingLoginRepository {
  create(login: Omit<PendingLogin, 'usedAt' | 'failedAttempts'>): Promise<void>;
  /** The live login of this handle: unused, unexpired, of this kind; otherwise null. */
  findLive(handleHash: string, kind: PendingLoginKind, now: number): Promise<PendingLogin | null>;
  /**
   * Counts a wrong code, atomically; the handle is spent when the count
   * reaches `maxAttempts`. Resolves to the count, or null for a dead handle.
   */
  recordFailure(handleHash: string, maxAttempts: number, now: number): Promise<number | null>;
  /** Spends a live handle of this kind in one conditional UPDATE; the login, or null when not live. */
  consume(handleHash: string, kind: PendingLoginKind, now: number): Promise<PendingLogin | null>;
  /** Deletes logins that expired before `before` (housekeeping); resolves to how many. */
  deleteExpiredBefore(before: number): Promise<number>;
}

export const PENDING_LOGIN_REPOSITORY = Symbol.for('svt.PendingLoginRepository');

interface PendingRow {
  handle_hash: string;
  user_id: string;
  kind: PendingLoginKind;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  failed_attempts: number;
  credential_version: number;
  dpop_jkt: string | null;
}

const toLogin = (row: PendingRow): PendingLogin => ({
  handleHash: row.handle_hash,
  userId: row.user_id,
  kind: row.kind,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  usedAt: row.used_at,
  failedAttempts: Number(row.failed_attempts),
  credentialVersion: Number(row.credential_version),
  dpopJkt: row.dpop_jkt,
});

const LIVE = 'handle_hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ?';

/** Pending logins in SQL, on whichever SqlClient adapter the app opened. */
export class SqlPendingLoginRepository implements PendingLoginRepository {
  constructor(private readonly sql: SqlClient) {}

  async create(login: Omit<PendingLogin, 'usedAt' | 'failedAttempts'>): Promise<void> {
    await this.sql.execute(
      `INSERT INTO pending_logins
         (handle_hash, user_id, kind, created_at, expires_at, credential_version, dpop_jkt)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        login.handleHash,
        login.userId,
        login.kind,
        login.createdAt,
        login.expiresAt,
        login.credentialVersion,
        login.dpopJkt,
      ],
    );
  }

  async findLive(
    handleHash: string,
    kind: PendingLoginKind,
    now: number,
  ): Promise<PendingLogin | null> {
    const [row] = await this.sql.query<PendingRow>(`SELECT * FROM pending_logins WHERE ${LIVE}`, [
      handleHash,
      kind,
      now,
    ]);
    return row ? toLogin(row) : null;
  }

  async recordFailure(
    handleHash: string,
    maxAttempts: number,
    now: number,
  ): Promise<number | null> {
    const [row] = await this.sql.query<{ failed_attempts: number }>(
      `UPDATE pending_logins
       SET failed_attempts = failed_attempts + 1,
           used_at = CASE WHEN failed_attempts + 1 >= ? THEN ? ELSE used_at END
       WHERE handle_hash = ? AND used_at IS NULL AND expires_at > ?
       RETURNING failed_attempts`,
      [maxAttempts, now, handleHash, now],
    );
    return row ? Number(row.failed_attempts) : null;
  }

  async consume(
    handleHash: string,
    kind: PendingLoginKind,
    now: number,
  ): Promise<PendingLogin | null> {
    const [row] = await this.sql.query<PendingRow>(
      `UPDATE pending_logins SET used_at = ? WHERE ${LIVE} RETURNING *`,
      [now, handleHash, kind, now],
    );
    return row ? toLogin(row) : null;
  }

  deleteExpiredBefore(before: number): Promise<number> {
    return this.sql.execute('DELETE FROM pending_logins WHERE expires_at < ?', [before]);
  }
}
