import { Client } from 'pg';
import { createClient, RESP_TYPES } from 'redis';

/** Fresh PostgreSQL databases, one per service, created through an admin connection. */
export interface TempDatabases {
  /** Connection URL per service name. */
  urls: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * Creates `svt_e2e_<runId>_<service>` for each service through `adminUrl`
 * and returns URLs that differ from it only in the database name.
 */
export async function createTempDatabases(
  adminUrl: string,
  runId: string,
  services: readonly string[],
): Promise<TempDatabases> {
  const names = Object.fromEntries(services.map((s) => [s, `svt_e2e_${runId}_${s}`]));
  const created: string[] = [];
  const drop = async (): Promise<void> => {
    if (created.length === 0) return;
    await withAdmin(adminUrl, async (client) => {
      for (const name of created.splice(0)) {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      }
    });
  };
  try {
    await withAdmin(adminUrl, async (client) => {
      for (const name of Object.values(names)) {
        await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
        created.push(name);
      }
    });
  } catch (error) {
    await drop().catch(() => undefined);
    throw new Error(`e2e: could not create databases through DATABASE_URL: ${String(error)}`);
  }
  const urls = Object.fromEntries(
    Object.entries(names).map(([service, name]) => {
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return [service, url.toString()];
    }),
  );
  return { urls, drop };
}

/** Deletes every key under `prefix` (SCAN, not KEYS: this may be a shared server). */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  if (prefix === '') throw new TypeError('refusing to delete every key of the Redis server');
  // Keys as bytes: a session's key ends in its raw id hash, which a string would garble.
  const client = createClient({ url: redisUrl }).withTypeMapping({
    [RESP_TYPES.BLOB_STRING]: Buffer,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    // SCAN by hand: the iterator compares the cursor with the string '0',
    // which a cursor read as bytes never equals.
    let cursor = '0';
    do {
      const reply = await client.scan(cursor, { MATCH: `${escapeGlob(prefix)}*`, COUNT: 500 });
      cursor = reply.cursor.toString();
      if (reply.keys.length > 0) await client.unlink(reply.keys);
    } while (cursor !== '0');
  } finally {
    await client.close();
  }
}

async function withAdmin(url: string, work: (client: Client) => Promise<void>): Promise<void> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined); // a dropped connection rejects the pending query instead
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
