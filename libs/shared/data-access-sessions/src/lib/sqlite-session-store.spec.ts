import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteClient } from '@svt/shared/data-access-sql';
import type { SessionRecord } from './session-store';
import { SqliteSessionStore } from './sqlite-session-store';

function aSession(id: string, expiresAt: number): SessionRecord {
  return {
    idHash: id,
    handle: `handle-${id}`,
    userId: 'alice',
    csrfToken: 'csrf',
    createdAt: 0,
    expiresAt,
    lastSeenAt: 0,
    userAgent: null,
    ip: null,
  };
}

describe(SqliteSessionStore.name, () => {
  let dir: string;
  let file: string;
  let raw: SqliteClient | undefined;

  async function storedIds(): Promise<string[]> {
    const rows = await (raw as SqliteClient).query<{ id_hash: string }>(
      'SELECT id_hash FROM sessions ORDER BY id_hash',
    );
    return rows.map((row) => row.id_hash);
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-sqlite-sessions-'));
    file = join(dir, 'sessions.sqlite');
  });

  afterEach(async () => {
    await raw?.close();
    raw = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('sweeps expired rows when creating once the sweep interval has passed', async () => {
    let now = 1_000;
    const store = await SqliteSessionStore.open(file, {
      now: () => now,
      sweepIntervalMs: 60_000,
    });
    raw = new SqliteClient(file);
    try {
      await store.create(aSession('a-expires', 2_000));
      await store.create(aSession('b-lasts', 500_000));
      now = 30_000;
      await store.create(aSession('c-new', 500_000));
      expect(await storedIds()).toEqual(['a-expires', 'b-lasts', 'c-new']);

      now = 61_000;
      await store.create(aSession('d-new', 500_000));

      expect(await storedIds()).toEqual(['b-lasts', 'c-new', 'd-new']);
    } finally {
      await store.close();
    }
  });

  it('sweeps expired rows on its interval', async () => {
    const store = await SqliteSessionStore.open(file, { sweepIntervalMs: 20 });
    raw = new SqliteClient(file);
    try {
      await store.create(aSession('short', Date.now() + 10));
      await store.create(aSession('long', Date.now() + 60_000));

      await new Promise((resolve) => setTimeout(resolve, 150));

      expect(await storedIds()).toEqual(['long']);
    } finally {
      await store.close();
    }
  });

  it('rejects with an Error naming the file when it cannot be opened', async () => {
    const blocked = join(dir, 'sessions.sqlite', 'nested.sqlite');
    raw = new SqliteClient(join(dir, 'sessions.sqlite'));

    await expect(SqliteSessionStore.open(blocked)).rejects.toThrow(
      `Cannot open SQLite database ${blocked}`,
    );
  });
});
