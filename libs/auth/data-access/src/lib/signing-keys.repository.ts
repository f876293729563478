import type { SqlClient } from '@svt/shared/data-access-sql';

/** A stored signing key. The private half is encrypted at rest. */
export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: 'ES256';
  /** The public JWK, JSON. */
  readonly publicJwk: string;
  /** The PKCS#8 private key, sealed with the key-encryption secret. */
  readonly sealedPrivateKey: string;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

export interface SigningKeyRepository {
  /** Keys not retired, newest first. */
  listActive(): Promise<SigningKeyRecord[]>;
  insert(record: SigningKeyRecord): Promise<void>;
}

export const SIGNING_KEY_REPOSITORY = Symbol.for('svt.SigningKeyRepository');

interface KeyRow {
  kid: string;
  alg: 'ES256';
  public_jwk: string;
  private_key: string;
  created_at: number;
  retired_at: number | null;
}

export class SqlSigningKeyRepository implements SigningKeyRepository {
  constructor(private readonly sql: SqlClient) {}

  async listActive(): Promise<SigningKeyRecord[]> {
    const rows = await this.sql.query<KeyRow>(
      'SELECT * FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid DESC',
    );
    return rows.map((row) => ({
      kid: row.kid,
      alg: row.alg,
      publicJwk: row.public_jwk,
      sealedPrivateKey: row.private_key,
      createdAt: row.created_at,
      retiredAt: row.retired_at,
    }));
  }

  async insert(record: SigningKeyRecord): Promise<void> {
    await this.sql.execute(
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_key, created_at, retired_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [
        record.kid,
        record.alg,
        record.publicJwk,
        record.sealedPrivateKey,
        record.createdAt,
        record.retiredAt,
      ],
    );
  }
}
