import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlClient } from './open-sql-client';

describe(openSqlClient.name, () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-open-sql-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([undefined, ''])('opens SQLite when the database URL is %j', async (databaseUrl) => {
    const client = await openSqlClient({
      databaseUrl,
      sqliteFile: join(dir, 'db.sqlite'),
    });
    try {
      expect(client.dialect).toBe('sqlite');
      await expect(client.ping()).resolves.toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('rejects with the file named when SQLite cannot open it', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, '');

    await expect(openSqlClient({ sqliteFile: join(blocker, 'db.sqlite') })).rejects.toThrow(
      `Cannot open SQLite database ${join(blocker, 'db.sqlite')}`,
    );
  });

  it('rejects with the server named, and no password, when PostgreSQL is unreachable', async () => {
    const opening = openSqlClient({
      databaseUrl: 'postgres://app:s3cret@127.0.0.1:1/shop',
      sqliteFile: join(dir, 'unused.sqlite'),
    });

    await expect(opening).rejects.toThrow(
      /^Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/shop: connect ECONNREFUSED/,
    );
    await expect(opening).rejects.toThrow(
      expect.objectContaining({
        message: expect.not.stringContaining('s3cret'),
      }),
    );
  });
});
