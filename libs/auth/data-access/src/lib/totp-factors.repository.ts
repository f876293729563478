import type { SqlClient } from '@svt/shared/data-access-sql';

/** A user's TOTP factor (RFC 6238). */
export interface TotpFactor {
  readonly userId: string;
  /** The shared secret, sealed with the key-encryption secret; never stored in clear. */
  readonly sealedSecret: string;
  readonly createdAt: number;
  /** Null while the enrolment awaits its first code: the factor is not in force yet. */
  readonly confirmedAt: number | null;
  /** The time step of the last accepted code; a code of this step or an earlier one is a replay. */
  readonly lastUsedStep: number | null;
}

/** The port to stored TOTP factors, one per user. */
export interface TotpFactorRepository {
  find(userId: string): Promise<TotpFactor | null>;
  /**
   * Stores a pending (unconfirmed) factor, replacing a pending one; refuses,
   * with false, when the user's factor is already confirmed.
   */
  savePending(userId: string, sealedSecret: string, now: number): Promise<boolean>;
  /**
   * Confirms the pending factor with the step of its first code, atomically;
   * false when nothing is pending (or it was confirmed meanwhile).
   */
  confirm(userId: string, step: number, now: number): Promise<boolean>;
  /**
   * Spends the time step `step` of the confirmed factor: true only when it is
   * later than the last spent step, so a code is accepted once (RFC 6238 §5.2).
   */
  useStep(userId: string, step: number): Promise<boolean>;
  /** Removes the factor and the user's recovery codes; false when there was no confirmed factor. */
  disable(userId: string): Promise<boolean>;
}

export const TOTP_FACTOR_REPOSITORY = Symbol.for('svt.TotpFactorRepository');

interface FactorRow {
  user_id: string;
  sealed_secret: string;
  created_at: number;
  confirmed_at: number | null;
  last_used_step: number | null;
}

const toFactor = (row: FactorRow): TotpFactor => ({
  userId: row.user_id,
  sealedSecret: row.sealed_secret,
  createdAt: row.created_at,
  confirmedAt: row.confirmed_at,
  lastUsedStep: row.last_used_step,
});

/** TOTP factors in SQL, on whichever SqlClient adapter the app opened. */
export class SqlTotpFactorRepository implements TotpFactorRepository {
  constructor(private readonly sql: SqlClient) {}

  async find(userId: string): Promise<TotpFactor | null> {
    const [row] = await this.sql.query<FactorRow>('SELECT * FROM totp_factors WHERE user_id = ?', [
      userId,
    ]);
    return row ? toFactor(row) : null;
  }

  async savePending(userId: string, sealedSecret: string, now: number): Promise<boolean> {
    // One statement: an enrolment racing a confirmation either replaces the
    // still-pending secret or finds it confirmed and changes nothing.
    const saved = await this.sql.execute(
      `INSERT INTO totp_factors (user_id, sealed_secret, created_at, confirmed_at, last_used_step)
       VALUES (?, ?, ?, NULL, NULL)
       ON CONFLICT (user_id) DO UPDATE
         SET sealed_secret = excluded.sealed_secret, created_at = excluded.created_at,
             last_used_step = NULL
         WHERE totp_factors.confirmed_at IS NULL`,
      [userId, sealedSecret, now],
    );
    return saved === 1;
  }

  async confirm(userId: string, step: number, now: number): Promise<boolean> {
    const confirmed = await this.sql.execute(
      `UPDATE totp_factors SET confirmed_at = ?, last_used_step = ?
       WHERE user_id = ? AND confirmed_at IS NULL`,
      [now, step, userId],
    );
    return confirmed === 1;
  }

  async useStep(userId: string, step: number): Promise<boolean> {
    const used = await this.sql.execute(
      `UPDATE totp_factors SET last_used_step = ?
       WHERE user_id = ? AND confirmed_at IS NOT NULL
         AND (last_used_step IS NULL OR last_used_step < ?)`,
      [step, userId, step],
    );
    return used === 1;
  }

  disable(userId: string): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const removed = await tx.execute(
        'DELETE FROM totp_factors WHERE user_id = ? AND confirmed_at IS NOT NULL',
        [userId],
      );
      if (removed === 0) return false;
      await tx.execute('DELETE FROM recovery_codes WHERE user_id = ?', [userId]);
      return true;
    });
  }
}
