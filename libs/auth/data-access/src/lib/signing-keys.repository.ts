import type { SqlClient, SqlValue } from '@svt/shared/data-access-sql';

/**
 * A stored signing key. The private half is encrypted at rest. A key is
 * published from `createdAt` and signs from `activatesAt`, so verifiers learn
 * it before the first token it signs reaches them.
 */
export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: 'ES256';
  /** The public JWK, JSON. */
  readonly publicJwk: string;
  /** The PKCS#8 private key, sealed with the key-encryption secret. */
  readonly sealedPrivateKey: string;
  readonly createdAt: number;
  /** When it starts signing; published from `createdAt`. */
  readonly activatesAt: number;
  readonly retiredAt: number | null;
}

/** The port to stored signing keys. */
export interface SigningKeyRepository {
  /** Every stored key, newest activation first (ties: kid descending). */
  listAll(): Promise<SigningKeyRecord[]>;
  insert(record: SigningKeyRecord): Promise<void>;
  /**
   * Inserts only when no key was created at or after `since`, atomically, so
   * replicas running the same schedule add one key, not several. True when
   * inserted.
   */
  insertUnlessCreatedSince(record: SigningKeyRecord, since: number): Promise<boolean>;
  /** Deletes the keys with these kids (retired keys disappear, private halves included). */
  remove(kids: readonly string[]): Promise<number>;
}

export const SIGNING_KEY_REPOSITORY = Symbol.for('svt.SigningKeyRepository');

interface KeyRow {
  kid: string;
  alg: 'ES256';
  public_jwk: string;
  private_key: string;
  created_at: number;
  /** Nullable in the schema only (see migration 004). */
  activates_at: number | null;
  retired_at: number | null;
}

const toRecord = (row: KeyRow): SigningKeyRecord => ({
  kid: row.kid,
  alg: row.alg,
  publicJwk: row.public_jwk,
  sealedPrivateKey: row.private_key,
  createdAt: row.created_at,
  activatesAt: row.activates_at ?? row.created_at,
  retiredAt: row.retired_at,
});

const COLUMNS = 'kid, alg, public_jwk, private_key, created_at, activates_at, retired_at';

const values = (record: SigningKeyRecord): SqlValue[] => [
  record.kid,
  record.alg,
  record.publicJwk,
  record.sealedPrivateKey,
  record.createdAt,
  record.activatesAt,
  record.retiredAt,
];

/** Signing keys in SQL, on whichever SqlClient adapter the app opened. */
export class SqlSigningKeyRepository implements SigningKeyRepository {
  constructor(private readonly sql: SqlClient) {}

  async listAll(): Promise<SigningKeyRecord[]> {
    const rows = await this.sql.query<KeyRow>(
      'SELECT * FROM signing_keys ORDER BY activates_at DESC, kid DESC',
    );
    return rows.map(toRecord);
  }

  async insert(record: SigningKeyRecord): Promise<void> {
    await this.sql.execute(
      `INSERT INTO signing_keys (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      values(record),
    );
  }

  insertUnlessCreatedSince(record: SigningKeyRecord, since: number): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      if (this.sql.dialect === 'postgres') {
        // At READ COMMITTED two replicas' NOT EXISTS would both miss the other's
        // uncommitted key; this lock conflicts with itself, so they take turns
        // and the second one's statement sees the first one's key.
        await tx.execute('LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE');
      }
      const inserted = await tx.execute(
        `INSERT INTO signing_keys (${COLUMNS})
         SELECT ?, ?, ?, ?, ?, ?, ?
         WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE created_at >= ?)`,
        [...values(record), since],
      );
      return inserted === 1;
    });
  }

  async remove(kids: readonly string[]): Promise<number> {
    if (kids.length === 0) return 0;
    return this.sql.execute(
      `DELETE FROM signing_keys WHERE kid IN (${kids.map(() => '?').join(', ')})`,
      kids,
    );
  }
}
