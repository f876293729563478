import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteClient } from '@svt/shared/data-access-sql';
import { SqliteRateLimitStore } from './sqlite-rate-limit-store';

describe(SqliteRateLimitStore.name, () => {
  let dir: string;
  let file: string;
  let raw: SqliteClient | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-sqlite-rate-limits-'));
    file = join(dir, 'sessions.sqlite');
  });

  afterEach(async () => {
    await raw?.close();
    raw = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('sweeps closed windows when counting once the sweep interval has passed', async () => {
    let now = 1_000;
    const store = await SqliteRateLimitStore.open(file, {
      now: () => now,
      sweepIntervalMs: 60_000,
    });
    raw = new SqliteClient(file);
    const storedKeys = async (): Promise<string[]> =>
      (
        await (raw as SqliteClient).query<{ key: string }>(
          'SELECT key FROM rate_limits ORDER BY key',
        )
      ).map((row) => row.key);
    try {
      await store.hit('a-closes', 1_000);
      await store.hit('b-lasts', 500_000);
      now = 30_000;
      await store.hit('c-new', 500_000);
      expect(await storedKeys()).toEqual(['a-closes', 'b-lasts', 'c-new']);

      now = 61_000;
      await store.hit('d-new', 500_000);

      expect(await storedKeys()).toEqual(['b-lasts', 'c-new', 'd-new']);
    } finally {
      await store.close();
    }
  });

  it('rejects with an Error naming the file when it cannot be opened', async () => {
    const blocked = join(dir, 'sessions.sqlite', 'nested.sqlite');
    raw = new SqliteClient(join(dir, 'sessions.sqlite'));

    await expect(SqliteRateLimitStore.open(blocked)).rejects.toThrow(
      `Cannot open SQLite database ${blocked}`,
    );
  });
});
