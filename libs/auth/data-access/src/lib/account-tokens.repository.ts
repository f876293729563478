import type { SqlClient } from '@svt/shared/data-access-sql';

/** What a mailed link lets its holder do. */
export type AccountTokenPurpose = 'email_verification' | 'password_reset';

/** A single-use link sent by mail; only the SHA-256 hash of its secret is stored. */
export interface AccountToken {
  readonly tokenHash: string;
  readonly userId: string;
  readonly purpose: AccountTokenPurpose;
  /**
   * For a password reset, the user's credential version when it was issued:
   * the token is good only while the user's version still equals it (another
   * reset or a password change voids it). Null for e-mail verification.
   */
  readonly credentialVersion: number | null;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** The port to stored account tokens. */
export interface AccountTokenRepository {
  insert(token: AccountToken): Promise<void>;
  /**
   * The token with this hash and purpose while it could still be consumed
   * (unused, unexpired, its credential version current), else null. A read
   * only: to name the account for a rate limit before consuming.
   */
  findUsable(
    tokenHash: string,
    purpose: AccountTokenPurpose,
    now: number,
  ): Promise<AccountToken | null>;
  /**
   * Marks the token used, in one conditional statement, and resolves to it;
   * null when it is unknown, of another purpose, used, expired or stale. Of
   * any number of concurrent calls for one token, one wins.
   */
  consume(
    tokenHash: string,
    purpose: AccountTokenPurpose,
    now: number,
  ): Promise<AccountToken | null>;
  /** Removes tokens that expired before `before`; resolves to how many. */
  deleteExpiredBefore(before: number): Promise<number>;
}

export const ACCOUNT_TOKEN_REPOSITORY = Symbol.for('svt.AccountTokenRepository');

interface AccountTokenRow {
  token_hash: string;
  user_id: string;
  purpose: AccountTokenPurpose;
  credential_version: number | null;
  created_at: number;
  expires_at: number;
}

const toToken = (row: AccountTokenRow): AccountToken => ({
  tokenHash: row.token_hash,
  userId: row.user_id,
  purpose: row.purpose,
  credentialVersion: row.credential_version === null ? null : Number(row.credential_version),
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
});

/** Usable: unused, unexpired, and (for a reset) issued under the user's current credential version. */
const USABLE = `token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
  AND (credential_version IS NULL OR credential_version =
    (SELECT users.credential_version FROM users WHERE users.id = account_tokens.user_id))`;

const COLUMNS = 'token_hash, user_id, purpose, credential_version, created_at, expires_at';

/** Account tokens in SQL, on whichever SqlClient adapter the app opened. */
export class SqlAccountTokenRepository implements AccountTokenRepository {
  constructor(private readonly sql: SqlClient) {}

  async insert(token: AccountToken): Promise<void> {
    await this.sql.execute(`INSERT INTO account_tokens (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`, [
      token.tokenHash,
      token.userId,
      token.purpose,
      token.credentialVersion,
      token.createdAt,
      token.expiresAt,
    ]);
  }

  async findUsable(
    tokenHash: string,
    purpose: AccountTokenPurpose,
    now: number,
  ): Promise<AccountToken | null> {
    const [row] = await this.sql.query<AccountTokenRow>(
      `SELECT ${COLUMNS} FROM account_tokens WHERE ${USABLE}`,
      [tokenHash, purpose, now],
    );
    return row ? toToken(row) : null;
  }

  async consume(
    tokenHash: string,
    purpose: AccountTokenPurpose,
    now: number,
  ): Promise<AccountToken | null> {
    const [row] = await this.sql.query<AccountTokenRow>(
      `UPDATE account_tokens SET used_at = ? WHERE ${USABLE} RETURNING ${COLUMNS}`,
      [now, tokenHash, purpose, now],
    );
    return row ? toToken(row) : null;
  }

  deleteExpiredBefore(before: number): Promise<number> {
    return this.sql.execute('DELETE FROM account_tokens WHERE expires_at < ?', [before]);
  }
}
