import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteClient } from '@svt/shared/data-access-sql';
import { SqliteDenylist } from './sqlite-denylist';
import { SqliteSessionStore } from './sqlite-session-store';

describe(SqliteDenylist.name, () => {
  let dir: string;
  let file: string;
  let raw: SqliteClient | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-sqlite-denylist-'));
    file = join(dir, 'sessions.sqlite');
  });

  afterEach(async () => {
    await raw?.close();
    raw = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('sweeps ended denials when denying once the sweep interval has passed', async () => {
    let now = 1_000;
    const denylist = await SqliteDenylist.open(file, { now: () => now, sweepIntervalMs: 60_000 });
    raw = new SqliteClient(file);
    const storedSids = async (): Promise<string[]> =>
      (
        await (raw as SqliteClient).query<{ sid: string }>(
          'SELECT sid FROM denied_sids ORDER BY sid',
        )
      ).map((row) => row.sid);
    try {
      await denylist.deny('a-ends', 2_000);
      await denylist.deny('b-lasts', 500_000);
      now = 30_000;
      await denylist.deny('c-new', 500_000);
      expect(await storedSids()).toEqual(['a-ends', 'b-lasts', 'c-new']);

      now = 61_000;
      await denylist.deny('d-new', 500_000);

      expect(await storedSids()).toEqual(['b-lasts', 'c-new', 'd-new']);
    } finally {
      await denylist.close();
    }
  });

  it('shares the file with the session store, each table under its own migrations', async () => {
    raw = new SqliteClient(file);
    const sessions = await SqliteSessionStore.on(raw);
    const denylist = await SqliteDenylist.on(raw);
    await denylist.close();
    await sessions.close();

    const migrations = await raw.query<{ id: string }>(
      'SELECT id FROM schema_migrations ORDER BY id',
    );
    expect(migrations.map((row) => row.id)).toEqual([
      'denylist-001-create',
      'sessions-001-create',
      'sessions-002-idle-timeout',
    ]);
  });

  it('rejects with an Error naming the file when it cannot be opened', async () => {
    const blocked = join(dir, 'sessions.sqlite', 'nested.sqlite');
    raw = new SqliteClient(join(dir, 'sessions.sqlite'));

    await expect(SqliteDenylist.open(blocked)).rejects.toThrow(
      `Cannot open SQLite database ${blocked}`,
    );
  });
});
