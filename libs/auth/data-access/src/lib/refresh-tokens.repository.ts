import type { SqlClient, SqlExecutor } from '@svt/shared/data-access-sql';

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
  /** The last rotation (the creation until one happens). */
  readonly lastSeenAt: number;
  /**
   * The user's credential version at the login that started it: once a
   * password change has bumped the user's, the family is stale and no longer
   * rotates.
   */
  readonly credentialVersion: number;
  /**
   * The JWK thumbprint (RFC 7638) of the DPoP key the family is bound to
   * (RFC 9449 §5): its refreshes need a proof by that key, and its access
   * tokens carry it as `cnf.jkt`. Null for a Bearer family.
   */
  readonly dpopJkt: string | null;
  /**
   * The authentication methods of the login that started the family (RFC 8176
   * values: `pwd`, `otp`); a refresh keeps them.
   */
  readonly amr: readonly string[];
  /** When the user last proved a factor for this family (epoch ms); a refresh keeps it. */
  readonly authTime: number;
}

/** The first token of a family. */
export interface NewRefreshToken {
  readonly hash: string;
  /** Now + the idle lifetime; capped at the family's end when stored. */
  readonly expiresAt: number;
}

/** The token that replaces a presented one. */
export interface NextRefreshToken {
  readonly hash: string;
  /** Now + the idle lifetime; capped at the family's end when stored. */
  readonly expiresAt: number;
  /**
   * The successor token sealed under the presented one, so a retry within the
   * grace window can be answered with the same successor (the store alone
   * cannot read it).
   */
  readonly sealed: string;
  /**
   * The client (its address key) asking for this rotation: stored with the
   * spent token, and a retry from any other client is reuse, not a retry.
   */
  readonly spentFrom: string | null;
}

/** What presenting a refresh token led to. */
export type RotationOutcome =
  | { readonly kind: 'rotated'; readonly family: TokenFamily }
  /** Spent within the grace window and its successor is still unspent: answer with that same successor. */
  | { readonly kind: 'retried'; readonly family: TokenFamily; readonly sealedSuccessor: string }
  /**
   * Spent before (outside the grace window, from another client, or its
   * lineage moved on): the family is revoked now.
   */
  | { readonly kind: 'reused'; readonly familyId: string; readonly userId: string }
  /** A spent token of a family revoked before (for reuse, logout, …). */
  | {
      readonly kind: 'revoked';
      readonly familyId: string;
      readonly userId: string;
      readonly revokedAt: number;
    }
  | { readonly kind: 'invalid' };

/**
 * The port to refresh-token families. Tokens are stored only as SHA-256
 * hashes. A family is live while it is not revoked, before its end, and its
 * current token has not expired (each token's expiry is the idle lifetime).
 */
export interface RefreshTokenRepository {
  /** Stores a family with its first token; `lastSeenAt` is taken from `createdAt`. */
  createFamily(family: TokenFamily, first: NewRefreshToken): Promise<void>;
  /**
   * Spends `presentedHash` and stores `next` in the same family, atomically:
   * of concurrent calls with one token, exactly one rotates. A stale family
   * (see `TokenFamily.credentialVersion`) does not rotate. A spent token
   * presented again within `graceMs` of its spending, from the client that
   * spent it, while its successor is still unspent, is a client retry (a
   * lost response) and is answered with that successor; otherwise reuse
   * means theft or a broken client and revokes the family. A `graceMs` of 0
   * turns the grace window off.
   */
  rotate(
    presentedHash: string,
    next: NextRefreshToken,
    now: number,
    graceMs: number,
  ): Promise<RotationOutcome>;
  /**
   * Revokes one family if it belongs to `userId` and is neither revoked nor
   * past its end; true when it did.
   */
  revokeFamily(id: string, userId: string, now: number): Promise<boolean>;
  /**
   * The user's families that are neither revoked nor past their end (idle
   * ones too: revoking them costs nothing), oldest first, to deny and then
   * revoke.
   */
  revocableFamilies(userId: string, now: number): Promise<TokenFamily[]>;
  /** Revokes those of `ids` that are the user's and revocable; resolves to their ids. */
  revokeFamilies(userId: string, ids: readonly string[], now: number): Promise<string[]>;
  /**
   * The user's live families: not revoked, before their end, with an unspent
   * token not yet expired (not idle). Oldest first.
   */
  listLive(userId: string, now: number): Promise<TokenFamily[]>;
  /** The family of a token, spent or not, as it is now; null for an unknown token. */
  familyOfToken(tokenHash: string): Promise<TokenFamily | null>;
  findFamily(id: string): Promise<TokenFamily | null>;
  /**
   * Deletes families that ended (revoked, or past their end) before `before`,
   * with their tokens (housekeeping). Resolves to how many families.
   */
  deleteEndedBefore(before: number): Promise<number>;
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
  /** Nullable in the schema only (see migration 004). */
  last_seen_at: number | null;
  credential_version: number;
  dpop_jkt: string | null;
  /** Space-separated; null on families from before migration 008 (a password login). */
  amr: string | null;
  auth_time: number | null;
}

/** A spent-or-not token joined with its family and its successor, if any. */
interface PresentedRow extends FamilyRow {
  used_at: number | null;
  used_from: string | null;
  successor_sealed: string | null;
  successor_used_at: number | null;
  successor_expires_at: number | null;
}

const toFamily = (row: FamilyRow): TokenFamily => ({
  id: row.id,
  userId: row.user_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  userAgent: row.user_agent,
  ip: row.ip,
  lastSeenAt: row.last_seen_at ?? row.created_at,
  credentialVersion: row.credential_version,
  dpopJkt: row.dpop_jkt,
  amr: row.amr ? row.amr.split(' ') : ['pwd'],
  authTime: row.auth_time ?? row.created_at,
});

/** The family is still under the user's current credential version. */
const CURRENT_CREDENTIALS = `credential_version =
  (SELECT u.credential_version FROM users u WHERE u.id = token_families.user_id)`;

const ENDED_BEFORE = '(revoked_at IS NOT NULL AND revoked_at < ?) OR expires_at < ?';

/** Refresh-token families in SQL, on whichever SqlClient adapter the app opened. */
export class SqlRefreshTokenRepository implements RefreshTokenRepository {
  constructor(private readonly sql: SqlClient) {}

  async createFamily(family: TokenFamily, first: NewRefreshToken): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.execute(
        `INSERT INTO token_families
           (id, user_id, created_at, expires_at, revoked_at, user_agent, ip, last_seen_at,
            credential_version, dpop_jkt, amr, auth_time)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          family.id,
          family.userId,
          family.createdAt,
          family.expiresAt,
          family.revokedAt,
          family.userAgent,
          family.ip,
          family.createdAt,
          family.credentialVersion,
          family.dpopJkt,
          family.amr.join(' '),
          family.authTime,
        ],
      );
      await insertToken(
        tx,
        { id: family.id, expires_at: family.expiresAt },
        first.hash,
        family.createdAt,
        first.expiresAt,
      );
    });
  }

  async rotate(
    presentedHash: string,
    next: NextRefreshToken,
    now: number,
    graceMs: number,
  ): Promise<RotationOutcome> {
    if (this.sql.dialect === 'postgres') {
      // The common case in one round trip; anything else (a retry, a reuse,
      // an unknown token) takes the transaction below, whose first UPDATE
      // then matches nothing, as it would have anyway.
      const outcome = await this.rotateInOneStatement(presentedHash, next, now);
      if (outcome) return outcome;
    }
    return this.sql.transaction(async (tx): Promise<RotationOutcome> => {
      // The conditional UPDATE is the atomic step: only one caller can see
      // used_at IS NULL. On PostgreSQL the others wait for its row lock, then
      // re-check the condition against the committed row and match nothing.
      const [spent] = await tx.query<{ family_id: string }>(
        `UPDATE refresh_tokens
         SET used_at = ?, used_from = ?, successor_hash = ?, successor_sealed = ?
         WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
         RETURNING family_id`,
        [now, next.spentFrom, next.hash, next.sealed, presentedHash, now],
      );
      if (spent) {
        // An UPDATE rather than a SELECT: it locks the family, so a revocation
        // committed meanwhile is seen and one that comes later waits for us.
        const [family] = await tx.query<FamilyRow>(
          `UPDATE token_families SET last_seen_at = ?
           WHERE id = ? AND revoked_at IS NULL AND expires_at > ? AND ${CURRENT_CREDENTIALS}
           RETURNING *`,
          [now, spent.family_id, now],
        );
        if (!family) return { kind: 'invalid' };
        await insertToken(tx, family, next.hash, now, next.expiresAt);
        return { kind: 'rotated', family: toFamily(family) };
      }
      // A new statement: under READ COMMITTED it sees the winner's commit,
      // successor included.
      const [presented] = await tx.query<PresentedRow>(
        `SELECT f.*, t.used_at, t.used_from, t.successor_sealed,
                s.used_at AS successor_used_at, s.expires_at AS successor_expires_at
         FROM refresh_tokens t
         JOIN token_families f ON f.id = t.family_id
         LEFT JOIN refresh_tokens s ON s.token_hash = t.successor_hash
         WHERE t.token_hash = ?`,
        [presentedHash],
      );
      // A token never spent merely expired; one of a family past its end is
      // no theft evidence worth acting on.
      if (!presented || presented.used_at === null || presented.expires_at <= now) {
        return { kind: 'invalid' };
      }
      if (presented.revoked_at !== null) {
        return {
          kind: 'revoked',
          familyId: presented.id,
          userId: presented.user_id,
          revokedAt: presented.revoked_at,
        };
      }
      if (
        graceMs > 0 &&
        now - presented.used_at <= graceMs &&
        presented.used_from !== null &&
        presented.used_from === next.spentFrom &&
        presented.successor_sealed !== null &&
        presented.successor_used_at === null &&
        presented.successor_expires_at !== null &&
        presented.successor_expires_at > now
      ) {
        return {
          kind: 'retried',
          family: toFamily(presented),
          sealedSuccessor: presented.successor_sealed,
        };
      }
      await tx.execute(
        'UPDATE token_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
        [now, presented.id],
      );
      return { kind: 'reused', familyId: presented.id, userId: presented.user_id };
    });
  }

  /**
   * PostgreSQL: the three steps of a rotation (spend the token, touch its
   * live family, insert the successor) as one statement with data-modifying
   * CTEs, atomic as a transaction but one round trip instead of five. The
   * same row locks decide a race: a concurrent rotation of the same token
   * waits, re-checks `used_at IS NULL` and spends nothing. Resolves to null
   * when the token was not spent here.
   */
  private async rotateInOneStatement(
    presentedHash: string,
    next: NextRefreshToken,
    now: number,
  ): Promise<RotationOutcome | null> {
    const [row] = await this.sql.query<Partial<FamilyRow> & { spent: number }>(
      `WITH spent AS (
         UPDATE refresh_tokens
         SET used_at = ?, used_from = ?, successor_hash = ?, successor_sealed = ?
         WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
         RETURNING family_id
       ), family AS (
         UPDATE token_families SET last_seen_at = ?
         WHERE id = (SELECT family_id FROM spent) AND revoked_at IS NULL AND expires_at > ?
           AND ${CURRENT_CREDENTIALS}
         RETURNING *
       ), successor AS (
         INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at)
         SELECT ?::text, id, ?::bigint, LEAST(?::bigint, expires_at) FROM family
       )
       SELECT (SELECT count(*) FROM spent)::int AS spent, family.*
       FROM (SELECT 1) AS one LEFT JOIN family ON true`,
      [
        now,
        next.spentFrom,
        next.hash,
        next.sealed,
        presentedHash,
        now,
        now,
        now,
        next.hash,
        now,
        next.expiresAt,
      ],
    );
    if (!row || row.spent === 0) return null;
    // Spent, but its family had ended meanwhile: the token is gone either way.
    if (!row.id) return { kind: 'invalid' };
    return { kind: 'rotated', family: toFamily(row as FamilyRow) };
  }

  async revokeFamily(id: string, userId: string, now: number): Promise<boolean> {
    const revoked = await this.sql.execute(
      `UPDATE token_families SET revoked_at = ?
       WHERE id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?`,
      [now, id, userId, now],
    );
    return revoked === 1;
  }

  async revocableFamilies(userId: string, now: number): Promise<TokenFamily[]> {
    const rows = await this.sql.query<FamilyRow>(
      `SELECT * FROM token_families
       WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
       ORDER BY created_at, id`,
      [userId, now],
    );
    return rows.map(toFamily);
  }

  async revokeFamilies(userId: string, ids: readonly string[], now: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql.query<{ id: string }>(
      `UPDATE token_families SET revoked_at = ?
       WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
         AND id IN (${ids.map(() => '?').join(', ')})
       RETURNING id`,
      [now, userId, now, ...ids],
    );
    return rows.map((row) => row.id);
  }

  async listLive(userId: string, now: number): Promise<TokenFamily[]> {
    const rows = await this.sql.query<FamilyRow>(
      `SELECT f.* FROM token_families f
       WHERE f.user_id = ? AND f.revoked_at IS NULL AND f.expires_at > ?
         AND f.credential_version = (SELECT u.credential_version FROM users u WHERE u.id = f.user_id)
         AND EXISTS (
           SELECT 1 FROM refresh_tokens t
           WHERE t.family_id = f.id AND t.used_at IS NULL AND t.expires_at > ?
         )
       ORDER BY f.created_at, f.id`,
      [userId, now, now],
    );
    return rows.map(toFamily);
  }

  async familyOfToken(tokenHash: string): Promise<TokenFamily | null> {
    const [row] = await this.sql.query<FamilyRow>(
      `SELECT f.* FROM refresh_tokens t JOIN token_families f ON f.id = t.family_id
       WHERE t.token_hash = ?`,
      [tokenHash],
    );
    return row ? toFamily(row) : null;
  }

  async findFamily(id: string): Promise<TokenFamily | null> {
    const [row] = await this.sql.query<FamilyRow>('SELECT * FROM token_families WHERE id = ?', [
      id,
    ]);
    return row ? toFamily(row) : null;
  }

  deleteEndedBefore(before: number): Promise<number> {
    return this.sql.transaction(async (tx) => {
      // Explicit rather than left to ON DELETE CASCADE, which SQLite honours
      // only on connections that enabled foreign keys.
      await tx.execute(
        `DELETE FROM refresh_tokens
         WHERE family_id IN (SELECT id FROM token_families WHERE ${ENDED_BEFORE})`,
        [before, before],
      );
      return tx.execute(`DELETE FROM token_families WHERE ${ENDED_BEFORE}`, [before, before]);
    });
  }
}

/** Stores a token of `family`, never outliving the family's absolute end. */
async function insertToken(
  tx: SqlExecutor,
  family: Pick<FamilyRow, 'id' | 'expires_at'>,
  hash: string,
  createdAt: number,
  expiresAt: number,
): Promise<void> {
  await tx.execute(
    'INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
    [hash, family.id, createdAt, Math.min(expiresAt, family.expires_at)],
  );
}
