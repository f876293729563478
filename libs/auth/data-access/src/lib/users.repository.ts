import type { SqlClient } from '@svt/shared/data-access-sql';

export interface User {
  readonly id: string;
  /** Normalised: trimmed, NFKC, lower-case. */
  readonly email: string;
  /** An argon2id PHC string; never the password. */
  readonly passwordHash: string;
  readonly createdAt: number;
  /**
   * Bumped by every password change: a session or token family started under
   * an older version is stale (a login that raced the change).
   */
  readonly credentialVersion: number;
  /** When the owner proved the mailbox (a verification or reset link), or null. */
  readonly emailVerifiedAt: number | null;
}

/** A password change whose sessions and token families have not all been ended yet. */
export interface PendingRevocation {
  readonly userId: string;
  readonly credentialVersion: number;
}

/** The port to stored users. */
export interface UserRepository {
  /** Saves a user unless the email is taken. */
  create(user: User): Promise<'created' | 'email_taken'>;
  findByEmail(email: string): Promise<User | null>;
  findById(id: string): Promise<User | null>;
  /**
   * Replaces a user's password hash and bumps the credential version, in one
   * statement; resolves to the new version, or null when the user does not
   * exist. The change stays pending (see `pendingRevocations`) until
   * `revocationDone` is called with that version.
   */
  updatePasswordHash(id: string, passwordHash: string): Promise<number | null>;
  /** Records the first proof of the mailbox; a later proof keeps the first instant. */
  markEmailVerified(id: string, at: number): Promise<void>;
  /** The user's credential version now, or null when the user does not exist. */
  credentialVersion(id: string): Promise<number | null>;
  /** Password changes whose sign-out everywhere has not been confirmed yet. */
  pendingRevocations(): Promise<PendingRevocation[]>;
  /** Confirms that everything older than `credentialVersion` has ended. */
  revocationDone(revocation: PendingRevocation): Promise<void>;
}

export const USER_REPOSITORY = Symbol.for('svt.UserRepository');

interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  created_at: number;
  credential_version: number;
  email_verified_at: number | null;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  passwordHash: row.password_hash,
  createdAt: row.created_at,
  credentialVersion: row.credential_version,
  emailVerifiedAt: row.email_verified_at === null ? null : Number(row.email_verified_at),
});

/** Users in SQL, on whichever SqlClient adapter the app opened. */
export class SqlUserRepository implements UserRepository {
  constructor(private readonly sql: SqlClient) {}

  async create(user: User): Promise<'created' | 'email_taken'> {
    const inserted = await this.sql.execute(
      `INSERT INTO users (id, email, password_hash, created_at, credential_version, revoked_version,
         email_verified_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (email) DO NOTHING`,
      [
        user.id,
        user.email,
        user.passwordHash,
        user.createdAt,
        user.credentialVersion,
        user.credentialVersion,
        user.emailVerifiedAt,
      ],
    );
    return inserted === 1 ? 'created' : 'email_taken';
  }

  async findByEmail(email: string): Promise<User | null> {
    const [row] = await this.sql.query<UserRow>('SELECT * FROM users WHERE email = ?', [email]);
    return row ? toUser(row) : null;
  }

  async findById(id: string): Promise<User | null> {
    const [row] = await this.sql.query<UserRow>('SELECT * FROM users WHERE id = ?', [id]);
    return row ? toUser(row) : null;
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<number | null> {
    const [row] = await this.sql.query<{ credential_version: number }>(
      `UPDATE users SET password_hash = ?, credential_version = credential_version + 1
       WHERE id = ? RETURNING credential_version`,
      [passwordHash, id],
    );
    return row ? row.credential_version : null;
  }

  async markEmailVerified(id: string, at: number): Promise<void> {
    await this.sql.execute(
      'UPDATE users SET email_verified_at = ? WHERE id = ? AND email_verified_at IS NULL',
      [at, id],
    );
  }

  async credentialVersion(id: string): Promise<number | null> {
    const [row] = await this.sql.query<{ credential_version: number }>(
      'SELECT credential_version FROM users WHERE id = ?',
      [id],
    );
    return row ? row.credential_version : null;
  }

  async pendingRevocations(): Promise<PendingRevocation[]> {
    const rows = await this.sql.query<{ id: string; credential_version: number }>(
      'SELECT id, credential_version FROM users WHERE revoked_version < credential_version',
    );
    return rows.map((row) => ({
      userId: row.id,
      credentialVersion: row.credential_version,
    }));
  }

  async revocationDone(revocation: PendingRevocation): Promise<void> {
    await this.sql.execute(
      'UPDATE users SET revoked_version = ? WHERE id = ? AND revoked_version < ?',
      [revocation.credentialVersion, revocation.userId, revocation.credentialVersion],
    );
  }
}
