import type { SqlClient } from '@svt/shared/data-access-sql';

/**
 * The port to recovery codes: single-use second factors for a user who lost
 * the authenticator. Stored only as SHA-256 hashes.
 */
export interface RecoveryCodeRepository {
  /** Replaces every code of the user with these, atomically. */
  replace(userId: string, hashes: readonly string[], now: number): Promise<void>;
  /** Spends one unused code of the user in one conditional UPDATE; true when it did. */
  use(userId: string, hash: string, now: number): Promise<boolean>;
  /** How many of the user's codes are unused. */
  countLeft(userId: string): Promise<number>;
}

export const RECOVERY_CODE_REPOSITORY = Symbol.for('svt.RecoveryCodeRepository');

/** Recovery codes in SQL, on whichever SqlClient adapter the app opened. */
export class SqlRecoveryCodeRepository implements RecoveryCodeRepository {
  constructor(private readonly sql: SqlClient) {}

  async replace(userId: string, hashes: readonly string[], now: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.execute('DELETE FROM recovery_codes WHERE user_id = ?', [userId]);
      for (const hash of hashes) {
        await tx.execute(
          'INSERT INTO recovery_codes (code_hash, user_id, created_at) VALUES (?, ?, ?)',
          [hash, userId, now],
        );
      }
    });
  }

  async use(userId: string, hash: string, now: number): Promise<boolean> {
    const used = await this.sql.execute(
      `UPDATE recovery_codes SET used_at = ?
       WHERE code_hash = ? AND user_id = ? AND used_at IS NULL`,
      [now, hash, userId],
    );
    return used === 1;
  }

  async countLeft(userId: string): Promise<number> {
    const [row] = await this.sql.query<{ n: number | string }>(
      'SELECT count(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL',
      [userId],
    );
    return Number(row?.n ?? 0);
  }
}
