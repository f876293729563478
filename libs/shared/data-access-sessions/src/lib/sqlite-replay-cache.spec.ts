import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteClient } from '@svt/shared/data-access-sql';
import { SqliteReplayCache } from './sqlite-replay-cache';

describe(SqliteReplayCache.name, () => {
  let dir: string;
  let file: string;
  let raw: SqliteClient | undefined;

  async function storedIds(): Promise<string[]> {
    const rows = await (raw as SqliteClient).query<{ id: string }>(
      'SELECT id FROM replays ORDER BY id',
    );
    return rows.map((row) => row.id);
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-sqlite-replays-'));
    file = join(dir, 'sessions.sqlite');
  });

  afterEach(async () => {
    await raw?.close();
    raw = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('sweeps forgotten ids when using one once the sweep interval has passed', async () => {
    let now = 1_000;
    const cache = await SqliteReplayCache.open(file, {
      now: () => now,
      sweepIntervalMs: 60_000,
    });
    raw = new SqliteClient(file);
    try {
      await cache.firstUse('a-forgotten', 1_000);
      await cache.firstUse('b-remembered', 500_000);
      now = 30_000;
      await cache.firstUse('c-remembered', 500_000);
      expect(await storedIds()).toEqual(['a-forgotten', 'b-remembered', 'c-remembered']);

      now = 61_000;
      await cache.firstUse('d-remembered', 500_000);

      expect(await storedIds()).toEqual(['b-remembered', 'c-remembered', 'd-remembered']);
    } finally {
      await cache.close();
    }
  });

  it('reuses the row of an id past its time for its next first use', async () => {
    let now = 1_000;
    const cache = await SqliteReplayCache.open(file, { now: () => now });
    raw = new SqliteClient(file);
    try {
      await cache.firstUse('jti-1', 1_000);
      now = 2_000;

      await expect(cache.firstUse('jti-1', 5_000)).resolves.toBe(true);

      await expect(
        raw.query<{ expires_at: number }>('SELECT expires_at FROM replays WHERE id = ?', ['jti-1']),
      ).resolves.toEqual([{ expires_at: 7_000 }]);
    } finally {
      await cache.close();
    }
  });

  it('leaves a client it did not open open on close', async () => {
    raw = new SqliteClient(file);
    const cache = await SqliteReplayCache.on(raw);
    await cache.firstUse('jti-1', 60_000);

    await cache.close();

    expect(await storedIds()).toEqual(['jti-1']);
  });

  it('rejects with an Error naming the file when it cannot be opened', async () => {
    const blocked = join(dir, 'sessions.sqlite', 'nested.sqlite');
    raw = new SqliteClient(join(dir, 'sessions.sqlite'));

    await expect(SqliteReplayCache.open(blocked)).rejects.toThrow(
      `Cannot open SQLite database ${blocked}`,
    );
  });
});
