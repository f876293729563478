import type { Migration } from '@svt/shared/data-access-sql';

/** The auth database. Instants are epoch milliseconds; secrets appear only as hashes. */
export const authMigrations: readonly Migration[] = [
  {
    id: '001-users',
    up: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at BIGINT NOT NULL
      )`,
  },
  {
    id: '002-refresh-tokens',
    up: `
      CREATE TABLE token_families (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT,
        user_agent TEXT,
        ip TEXT
      );
      CREATE INDEX IF NOT EXISTS token_families_user ON token_families(user_id);
      CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        family_id TEXT NOT NULL REFERENCES token_families(id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT
      );
      CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens(family_id)`,
  },
  {
    id: '003-signing-keys',
    up: `
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        private_key TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        retired_at BIGINT
      )`,
  },
  {
    // One ADD COLUMN per statement: SQLite takes no list. The columns stay
    // nullable because SQLite cannot add a NOT NULL column without a default;
    // existing rows are backfilled and every write sets them.
    id: '004-lifecycle',
    up: `
      ALTER TABLE token_families ADD COLUMN last_seen_at BIGINT;
      UPDATE token_families SET last_seen_at = created_at;
      ALTER TABLE refresh_tokens ADD COLUMN successor_hash TEXT;
      ALTER TABLE refresh_tokens ADD COLUMN successor_sealed TEXT;
      ALTER TABLE signing_keys ADD COLUMN activates_at BIGINT;
      UPDATE signing_keys SET activates_at = created_at`,
  },
  {
    // A password change bumps credential_version; revoked_version catches up
    // once every session and token family of the older versions has ended, so
    // a change whose sign-out failed halfway is finished by the next sweep.
    // Families carry the version they were created under.
    id: '005-credential-versions',
    up: `
      ALTER TABLE users ADD COLUMN credential_version BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE users ADD COLUMN revoked_version BIGINT NOT NULL DEFAULT 0;
      CREATE INDEX IF NOT EXISTS users_revocation_pending ON users(id)
        WHERE revoked_version < credential_version;
      ALTER TABLE token_families ADD COLUMN credential_version BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE refresh_tokens ADD COLUMN used_from TEXT`,
  },
  {
    // RFC 9449 §5: a family started with a DPoP proof is bound to that key.
    id: '006-dpop-binding',
    up: `ALTER TABLE token_families ADD COLUMN dpop_jkt TEXT`,
  },
  {
    // Single-use links sent by mail (e-mail verification, password reset),
    // stored only as SHA-256 hashes. A reset token records the credential
    // version it was issued under: a later password change voids it.
    id: '007-account-tokens',
    up: `
      CREATE TABLE account_tokens (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        purpose TEXT NOT NULL,
        credential_version BIGINT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT
      );
      CREATE INDEX IF NOT EXISTS account_tokens_user ON account_tokens(user_id);
      ALTER TABLE users ADD COLUMN email_verified_at BIGINT`,
  },
  {
    // A TOTP factor (RFC 6238) per user: pending until confirmed with a first
    // code; last_used_step refuses a code's replay within its window. Recovery
    // codes and pending logins (the handle between a login's password step and
    // its second factor) are stored as hashes only. Families remember which
    // factors started them (RFC 8176 amr) and when (auth_time); rows older than
    // this read as a password login at their creation.
    id: '008-second-factor',
    up: `
      CREATE TABLE totp_factors (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        sealed_secret TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        confirmed_at BIGINT,
        last_used_step BIGINT
      );
      CREATE TABLE recovery_codes (
        code_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL,
        used_at BIGINT
      );
      CREATE INDEX IF NOT EXISTS recovery_codes_user ON recovery_codes(user_id);
      CREATE TABLE pending_logins (
        handle_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT,
        failed_attempts BIGINT NOT NULL DEFAULT 0,
        credential_version BIGINT NOT NULL,
        dpop_jkt TEXT
      );
      CREATE INDEX IF NOT EXISTS pending_logins_expiry ON pending_logins(expires_at);
      ALTER TABLE token_families ADD COLUMN amr TEXT;
      ALTER TABLE token_families ADD COLUMN auth_time BIGINT`,
  },
];
