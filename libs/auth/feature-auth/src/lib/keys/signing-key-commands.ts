import { join } from 'node:path';
import { SqlSigningKeyRepository, authMigrations } from '@svt/auth/data-access';
import { openSqlClient } from '@svt/shared/data-access-sql';
import { createLogger } from '@svt/shared/util-http';
import { systemClock } from '@svt/shared/util-security';
import { AuditLog } from '../shared/audit-log';
import type { AuthConfig } from '../auth.config';
import { SigningKeysService } from './signing-keys.service';

/** Runs `work` on the signing keys in the auth database, as a one-off command. */
async function withSigningKeys<T>(
  config: AuthConfig,
  work: (keys: SigningKeysService) => Promise<T>,
): Promise<T> {
  const sql = await openSqlClient({
    databaseUrl: config.DATABASE_URL,
    sqliteFile: join(config.DATA_DIR, 'auth.sqlite'),
    migrations: authMigrations,
  });
  try {
    const audit = new AuditLog(await createLogger({ format: config.LOG_FORMAT }));
    return await work(
      new SigningKeysService(new SqlSigningKeyRepository(sql), config, systemClock, audit),
    );
  } finally {
    await sql.close();
  }
}

/**
 * The `rotate-signing-key` command: adds the next signing key to the auth
 * database, where every running replica picks it up. Nobody is logged out:
 * the key is published now and signs from SIGNING_KEY_ACTIVATION_DELAY on;
 * the previous one stays published until its last token has expired.
 */
export function rotateSigningKey(
  config: AuthConfig,
): Promise<{ kid: string; activatesAt: number }> {
  return withSigningKeys(config, (keys) => keys.rotate());
}

/**
 * The `revoke-signing-key <kid>` command: withdraws a compromised key from
 * the auth database at once (see `SigningKeysService.revoke`). Running
 * replicas stop publishing it at their next key reload.
 */
export function revokeSigningKey(
  config: AuthConfig,
  kid: string,
): Promise<{ kid: string; replacement: string | null }> {
  return withSigningKeys(config, (keys) => keys.revoke(kid));
}
