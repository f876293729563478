import type { SqlClient } from '@svt/shared/data-access-sql';

/** A lineage of refresh tokens from one token login (RFC 9700 §4.14.2). */
export interface TokenFamily {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: number;
  /** Absolute end of the family, whatever the rotations. */
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly userAgent: string | null;
  readonly ip: string | null;
}

/** What presenting a refresh token led to. */
export type RotationOutcome =
  | { readonly kind: 'rotated'; readonly family: TokenFamily }
  | { readonly kind: 'reused'; readonly familyId: string; readonly userId: string }
  | { readonly kind: 'invalid' };

export interface NewRefreshToken {
  readonly hash: string;
  readonly expiresAt: number;
}

/** The port to refresh-token families. Tokens are stored only as SHA-256 hashes. */
export interface RefreshTokenRepository {
  createFamily(family: TokenFamily, first: NewRefreshToken): Promise<void>;
  /**
   * Spends `presentedHash` and stores `next` in the same family, atomically:
   * of concurrent calls with one token, exactly one rotates. A token already
   * spent revokes its family (reuse means theft or a broken client).
   */
  rotate(presentedHash: string, next: NewRefreshToken, now: number): Promise<RotationOutcome>;
  /** Revokes the family of a token; resolves to the family id, or null when unknown. */
  revokeByToken(tokenHash: string, now: number): Promise<string | null>;
  findFamily(id: string): Promise<TokenFamily | null>;
}

export const REFRESH_TOKEN_REPOSITORY = Symbol.for('svt.RefreshTokenRepository');

interface FamilyRow {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  user_agent: string | null;
  ip: string | null;
}

const toFamily = (row: FamilyRow): TokenFamily => ({
  id: row.id,
  userId: row.user_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  userAgent: row.user_agent,
  ip: row.ip,
});

export class SqlRefreshTokenRepository implements RefreshTokenRepository {
  constructor(private readonly sql: SqlClient) {}

  async createFamily(family: TokenFamily, first: NewRefreshToken): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.execute(
        `INSERT INTO token_families (id, user_id, created_at, expires_at, revoked_at, user_agent, ip)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [
          family.id,
          family.userId,
          family.createdAt,
          family.expiresAt,
          family.revokedAt,
          family.userAgent,
          family.ip,
        ],
      );
      await tx.execute(
        'INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
        [first.hash, family.id, family.createdAt, Math.min(first.expiresAt, family.expiresAt)],
      );
    });
  }

  rotate(presentedHash: string, next: NewRefreshToken, now: number): Promise<RotationOutcome> {
    return this.sql.transaction(async (tx): Promise<RotationOutcome> => {
      // The conditional UPDATE is the atomic step: only one caller can see used_at IS NULL.
      const [spent] = await tx.query<{ family_id: string }>(
        `UPDATE refresh_tokens SET used_at = ?
         WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
         RETURNING family_id`,
        [now, presentedHash, now],
      );
      if (!spent) {
        const [known] = await tx.query<{
          family_id: string;
          used_at: number | null;
          user_id: string;
        }>(
          `SELECT t.family_id, t.used_at, f.user_id FROM refresh_tokens t
           JOIN token_families f ON f.id = t.family_id WHERE t.token_hash = ?`,
          [presentedHash],
        );
        if (!known || known.used_at === null) return { kind: 'invalid' };
        await tx.execute(
          'UPDATE token_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
          [now, known.family_id],
        );
        return { kind: 'reused', familyId: known.family_id, userId: known.user_id };
      }
      const [family] = await tx.query<FamilyRow>(
        'SELECT * FROM token_families WHERE id = ? AND revoked_at IS NULL AND expires_at > ?',
        [spent.family_id, now],
      );
      if (!family) return { kind: 'invalid' };
      await tx.execute(
        'INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
        [next.hash, family.id, now, Math.min(next.expiresAt, family.expires_at)],
      );
      return { kind: 'rotated', family: toFamily(family) };
    });
  }

  async revokeByToken(tokenHash: string, now: number): Promise<string | null> {
    const [row] = await this.sql.query<{ family_id: string }>(
      'SELECT family_id FROM refresh_tokens WHERE token_hash = ?',
      [tokenHash],
    );
    if (!row) return null;
    await this.sql.execute(
      'UPDATE token_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
      [now, row.family_id],
    );
    return row.family_id;
  }

  async findFamily(id: string): Promise<TokenFamily | null> {
    const [row] = await this.sql.query<FamilyRow>('SELECT * FROM token_families WHERE id = ?', [
      id,
    ]);
    return row ? toFamily(row) : null;
  }
}
