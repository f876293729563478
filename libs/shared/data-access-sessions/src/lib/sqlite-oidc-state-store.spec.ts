import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteClient } from '@svt/shared/data-access-sql';
import { SqliteOidcStateStore } from './sqlite-oidc-state-store';

describe(SqliteOidcStateStore.name, () => {
  let dir: string;
  let file: string;
  let raw: SqliteClient | undefined;

  async function storedIds(): Promise<string[]> {
    const rows = await (raw as SqliteClient).query<{ id: string }>(
      'SELECT id FROM oidc_state ORDER BY id',
    );
    return rows.map((row) => row.id);
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-sqlite-oidc-'));
    file = join(dir, 'sessions.sqlite');
  });

  afterEach(async () => {
    await raw?.close();
    raw = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('sweeps expired rows when upserting once the sweep interval has passed', async () => {
    let now = 1_000;
    const store = await SqliteOidcStateStore.open(file, {
      now: () => now,
      sweepIntervalMs: 60_000,
    });
    raw = new SqliteClient(file);
    try {
      await store.upsert('AuthorizationCode', 'a-expires', {}, 10);
      await store.upsert('RefreshToken', 'b-never', {});
      now = 30_000;
      await store.upsert('AccessToken', 'c-lasts', {}, 3600);
      expect(await storedIds()).toEqual(['a-expires', 'b-never', 'c-lasts']);

      now = 61_000;
      await store.upsert('AccessToken', 'd-new', {}, 3600);

      expect(await storedIds()).toEqual(['b-never', 'c-lasts', 'd-new']);
    } finally {
      await store.close();
    }
  });

  it('leaves a client it did not open open on close', async () => {
    raw = new SqliteClient(file);
    const store = await SqliteOidcStateStore.on(raw);
    await store.upsert('Grant', 'grant-1', { accountId: 'alice' });

    await store.close();

    expect(await storedIds()).toEqual(['grant-1']);
  });
});
