import type { SqlClient } from '@svt/shared/data-access-sql';

export interface User {
  readonly id: string;
  /** Normalised: trimmed, NFKC, lower-case. */
  readonly email: string;
  /** An argon2id PHC string; never the password. */
  readonly passwordHash: string;
  readonly createdAt: number;
}

/** The port to stored users. */
export interface UserRepository {
  /** Saves a user unless the email is taken. */
  create(user: User): Promise<'created' | 'email_taken'>;
  findByEmail(email: string): Promise<User | null>;
  findById(id: string): Promise<User | null>;
  /** Replaces a user's password hash; resolves to true when the user exists. */
  updatePasswordHash(id: string, passwordHash: string): Promise<boolean>;
}

export const USER_REPOSITORY = Symbol.for('svt.UserRepository');

interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  created_at: number;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  passwordHash: row.password_hash,
  createdAt: row.created_at,
});

/** Users in SQL, on whichever SqlClient adapter the app opened. */
export class SqlUserRepository implements UserRepository {
  constructor(private readonly sql: SqlClient) {}

  async create(user: User): Promise<'created' | 'email_taken'> {
    const inserted = await this.sql.execute(
      `INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (email) DO NOTHING`,
      [user.id, user.email, user.passwordHash, user.createdAt],
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

  async updatePasswordHash(id: string, passwordHash: string): Promise<boolean> {
    const changed = await this.sql.execute('UPDATE users SET password_hash = ? WHERE id = ?', [
      passwordHash,
      id,
    ]);
    return changed === 1;
  }
}
