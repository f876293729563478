import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteClient } from '@svt/shared/data-access-sql';
import type { SessionRecord } from './session-store';
import { SESSION_MIGRATIONS, SqliteSessionStore } from './sqlite-session-store';

function aSession(
  id: string,
  expiresAt: number,
  overrides: Partial<SessionRecord> = {},
): SessionRecord {
  return {
    idHash: id,
    handle: `handle-${id}`,
    userId: 'alice',
    csrfToken: 'csrf',
    createdAt: 0,
    expiresAt,
    lastSeenAt: 0,
    idleTimeoutMs: 1_000_000,
    userAgent: null,
    ip: null,
    credentialVersion: 0,
    ssoSid: null,
    amr: ['pwd'],
    authTime: 0,
    ...overrides,
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
    jest.useRealTimers();
    await raw?.close();
    raw = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('sweeps ended rows when creating once the sweep interval has passed', async () => {
    let now = 1_000;
    const store = await SqliteSessionStore.open(file, {
      now: () => now,
      sweepIntervalMs: 60_000,
    });
    raw = new SqliteClient(file);
    try {
      await store.create(aSession('a-expires', 2_000));
      await store.create(aSession('b-lasts', 500_000));
      await store.create(aSession('c-idles', 500_000, { lastSeenAt: 1_000, idleTimeoutMs: 5_000 }));
      now = 30_000;
      await store.create(aSession('d-new', 500_000));
      expect(await storedIds()).toEqual(['a-expires', 'b-lasts', 'c-idles', 'd-new']);

      now = 61_000;
      await store.create(aSession('e-new', 500_000));

      expect(await storedIds()).toEqual(['b-lasts', 'd-new', 'e-new']);
    } finally {
      await store.close();
    }
  });

  it('sweeps ended rows on its interval', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    let now = 1_000;
    const store = await SqliteSessionStore.open(file, {
      now: () => now,
      sweepIntervalMs: 60_000,
    });
    raw = new SqliteClient(file);
    try {
      await store.create(aSession('expires', 2_000));
      await store.create(aSession('idles', 500_000, { lastSeenAt: 1_000, idleTimeoutMs: 5_000 }));
      await store.create(aSession('lasts', 500_000));
      now = 10_000;

      // The sweep's DELETE is queued on the file before the query below.
      jest.advanceTimersByTime(60_000);

      expect(await storedIds()).toEqual(['lasts']);
    } finally {
      await store.close();
    }
  });

  it('gives rows written before idle timeouts existed 30 minutes of idle timeout', async () => {
    raw = new SqliteClient(file);
    await raw.migrate(SESSION_MIGRATIONS.slice(0, 1));
    await raw.execute(
      `INSERT INTO sessions (id_hash, handle, user_id, csrf_token, created_at, expires_at, last_seen_at)
       VALUES ('old', 'handle-old', 'alice', 'csrf', 0, 100000000, 0)`,
    );
    let now = 1_000;
    const store = await SqliteSessionStore.open(file, { now: () => now });
    try {
      await expect(store.find('old')).resolves.toEqual(
        aSession('old', 100_000_000, { idleTimeoutMs: 1_800_000 }),
      );

      now = 1_800_000;

      await expect(store.find('old')).resolves.toBeNull();
    } finally {
      await store.close();
    }
  });

  it('reads rows written before single sign-on as password logins, and stores an ssoSid once upgraded', async () => {
    raw = new SqliteClient(file);
    await raw.migrate(SESSION_MIGRATIONS.slice(0, 3));
    await raw.execute(
      `INSERT INTO sessions (id_hash, handle, user_id, csrf_token, created_at, expires_at, last_seen_at, credential_version)
       VALUES ('old', 'handle-old', 'alice', 'csrf', 0, 100000000, 0, 0)`,
    );
    const store = await SqliteSessionStore.open(file, { now: () => 1_000 });
    try {
      await expect(store.find('old')).resolves.toEqual(
        aSession('old', 100_000_000, { idleTimeoutMs: 1_800_000, ssoSid: null }),
      );

      await store.create(aSession('new', 100_000_000, { ssoSid: 'op-sid-1' }));

      await expect(store.find('new')).resolves.toEqual(
        aSession('new', 100_000_000, { ssoSid: 'op-sid-1' }),
      );
    } finally {
      await store.close();
    }
  });

  it('leaves a client it did not open open on close', async () => {
    raw = new SqliteClient(file);
    const store = await SqliteSessionStore.on(raw);
    await store.create(aSession('a', Date.now() + 60_000, { lastSeenAt: Date.now() }));

    await store.close();

    expect(await storedIds()).toEqual(['a']);
  });

  it('rejects with an Error naming the file when it cannot be opened', async () => {
    const blocked = join(dir, 'sessions.sqlite', 'nested.sqlite');
    raw = new SqliteClient(join(dir, 'sessions.sqlite'));

    await expect(SqliteSessionStore.open(blocked)).rejects.toThrow(
      `Cannot open SQLite database ${blocked}`,
    );
  });
});
