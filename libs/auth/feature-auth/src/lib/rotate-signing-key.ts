import { join } from 'node:path';
import { SqlSigningKeyRepository, authMigrations } from '@svt/auth/data-access';
import { openSqlClient } from '@svt/shared/data-access-sql';
import { systemClock } from '@svt/shared/util-security';
import { AuditLog } from './audit-log';
import type { AuthConfig } from './auth.config';
import { SigningKeysService } from './signing-keys.service';

/**
 * The `rotate-signing-key` command: adds the next signing key to the auth
 * database, where every running replica picks it up. Nobody is logged out:
 * the key is published now and signs from SIGNING_KEY_ACTIVATION_DELAY on;
 * the previous one stays published until its last token has expired.
 */
export async function rotateSigningKey(
  config: AuthConfig,
): Promise<{ kid: string; activatesAt: number }> {
  const sql = await openSqlClient({
    databaseUrl: config.DATABASE_URL,
    sqliteFile: join(config.DATA_DIR, 'auth.sqlite'),
    migrations: authMigrations,
  });
  try {
    const keys = new SigningKeysService(
      new SqlSigningKeyRepository(sql),
      config,
      systemClock,
      new AuditLog(),
    );
    return await keys.rotate();
  } finally {
    await sql.close();
  }
}
