import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { MemorySessionStore } from './memory-session-store';
import { RedisSessionStore } from './redis-session-store';
import type { SessionRecord, SessionStore } from './session-store';
import { SqliteSessionStore } from './sqlite-session-store';

/** Stores over one backing storage, created fresh for each test. */
interface Storage {
  /** Another store instance, as another process would open it. */
  open(): Promise<SessionStore>;
  /** Closes every store opened and removes the backing storage. */
  dispose(): Promise<void>;
}

interface Backend {
  readonly name: string;
  /** Whether two instances see each other's records (false: per process). */
  readonly shared: boolean;
  create(): Promise<Storage>;
}

function trackingStores(open: () => Promise<SessionStore>, cleanup: () => Promise<void>): Storage {
  const stores: SessionStore[] = [];
  return {
    open: async () => {
      const store = await open();
      stores.push(store);
      return store;
    },
    dispose: async () => {
      await Promise.all(stores.map((store) => store.close()));
      await cleanup();
    },
  };
}

const memory: Backend = {
  name: MemorySessionStore.name,
  shared: false,
  create: async () =>
    trackingStores(
      async () => new MemorySessionStore(),
      async () => undefined,
    ),
};

const sqlite: Backend = {
  name: SqliteSessionStore.name,
  shared: true,
  create: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'svt-sessions-'));
    const file = join(dir, 'sessions.sqlite');
    return trackingStores(
      () => SqliteSessionStore.open(file),
      () => rm(dir, { recursive: true, force: true }),
    );
  },
};

function redis(url: string): Backend {
  return {
    name: RedisSessionStore.name,
    shared: true,
    create: async () => {
      const prefix = `svt-test:${randomBytes(8).toString('hex')}:`;
      return trackingStores(
        () => RedisSessionStore.connect(url, prefix),
        () => deleteKeysWithPrefix(url, prefix),
      );
    },
  };
}

/** Test cleanup only: the adapter itself never scans. */
async function deleteKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({
      MATCH: `${prefix}*`,
      COUNT: 100,
    })) {
      await Promise.all(keys.map((key) => client.del(key)));
    }
  } finally {
    await client.close();
  }
}

function sessionBackends(): Backend[] {
  // eslint-disable-next-line no-restricted-syntax -- test harness reads the CI-provided server URL
  const redisUrl = process.env['REDIS_URL'];
  if (!redisUrl) {
    console.warn(
      'SKIPPED: Redis adapter suite — set REDIS_URL (e.g. redis://127.0.0.1:6379) to run it',
    );
    return [memory, sqlite];
  }
  return [memory, sqlite, redis(redisUrl)];
}

let sequence = 0;

function aSession(overrides: Partial<SessionRecord> = {}): SessionRecord {
  sequence++;
  const now = Date.now();
  return {
    idHash: randomBytes(32).toString('hex'),
    handle: `handle-${sequence}-${randomBytes(4).toString('hex')}`,
    userId: 'user-1',
    csrfToken: randomBytes(16).toString('base64url'),
    createdAt: now - 1000 + sequence,
    expiresAt: now + 60 * 60 * 1000,
    lastSeenAt: now,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
    ip: '203.0.113.7',
    ...overrides,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('SessionStore contract', () => {
  describe.each(sessionBackends())('$name', (backend) => {
    let storage: Storage;
    let store: SessionStore;

    beforeEach(async () => {
      storage = await backend.create();
      store = await storage.open();
    });

    afterEach(async () => {
      await storage.dispose();
    });

    it('finds a created record with every field intact', async () => {
      const full = aSession();
      const sparse = aSession({ userAgent: null, ip: null });
      await store.create(full);
      await store.create(sparse);

      await expect(store.find(full.idHash)).resolves.toEqual(full);
      await expect(store.find(sparse.idHash)).resolves.toEqual(sparse);
    });

    it('resolves to null for an unknown id hash', async () => {
      await expect(store.find('0'.repeat(64))).resolves.toBeNull();
    });

    it('resolves to null once the record has expired', async () => {
      const shortLived = aSession({ expiresAt: Date.now() + 150 });
      await store.create(shortLived);
      await expect(store.find(shortLived.idHash)).resolves.toEqual(shortLived);

      await sleep(250);

      await expect(store.find(shortLived.idHash)).resolves.toBeNull();
    });

    it('resolves to null for a record created already expired', async () => {
      const expired = aSession({ expiresAt: Date.now() - 1000 });
      await store.create(expired);

      await expect(store.find(expired.idHash)).resolves.toBeNull();
    });

    it('forgets a deleted record', async () => {
      const record = aSession();
      await store.create(record);

      await store.delete(record.idHash);

      await expect(store.find(record.idHash)).resolves.toBeNull();
      await expect(store.listByUser(record.userId)).resolves.toEqual([]);
    });

    it('treats deleting an unknown record as done', async () => {
      await expect(store.delete('f'.repeat(64))).resolves.toBeUndefined();
    });

    it("lists only the user's live records, oldest first", async () => {
      const newer = aSession({ userId: 'alice' });
      const older = aSession({ userId: 'alice', createdAt: newer.createdAt - 5000 });
      const expired = aSession({ userId: 'alice', expiresAt: Date.now() - 1 });
      const someoneElse = aSession({ userId: 'bob' });
      for (const record of [newer, older, expired, someoneElse]) {
        await store.create(record);
      }

      await expect(store.listByUser('alice')).resolves.toEqual([older, newer]);
      await expect(store.listByUser('nobody')).resolves.toEqual([]);
    });

    it('leaves a record that expired after creation out of the listing', async () => {
      const shortLived = aSession({ userId: 'alice', expiresAt: Date.now() + 150 });
      const lasting = aSession({ userId: 'alice' });
      await store.create(shortLived);
      await store.create(lasting);

      await sleep(250);

      await expect(store.listByUser('alice')).resolves.toEqual([lasting]);
    });

    it("deletes all the user's records, resolves to how many, and leaves other users' records", async () => {
      const first = aSession({ userId: 'alice' });
      const second = aSession({ userId: 'alice' });
      const expired = aSession({ userId: 'alice', expiresAt: Date.now() - 1 });
      const bobs = aSession({ userId: 'bob' });
      for (const record of [first, second, expired, bobs]) {
        await store.create(record);
      }

      await expect(store.deleteByUser('alice')).resolves.toBe(2);

      await expect(store.find(first.idHash)).resolves.toBeNull();
      await expect(store.find(second.idHash)).resolves.toBeNull();
      await expect(store.listByUser('alice')).resolves.toEqual([]);
      await expect(store.find(bobs.idHash)).resolves.toEqual(bobs);
      await expect(store.listByUser('bob')).resolves.toEqual([bobs]);
    });

    it('resolves deleteByUser to 0 for a user without records', async () => {
      await expect(store.deleteByUser('nobody')).resolves.toBe(0);
    });

    if (backend.shared) {
      it('shares records between two instances on the same storage', async () => {
        const other = await storage.open();
        const record = aSession({ userId: 'alice' });

        await store.create(record);
        await expect(other.find(record.idHash)).resolves.toEqual(record);
        await expect(other.listByUser('alice')).resolves.toEqual([record]);

        await other.delete(record.idHash);
        await expect(store.find(record.idHash)).resolves.toBeNull();
      });
    } else {
      it('keeps records per instance, so a second instance does not see them', async () => {
        const other = await storage.open();
        const record = aSession();

        await store.create(record);

        await expect(other.find(record.idHash)).resolves.toBeNull();
      });
    }

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('closes, rejects use afterwards, and may be closed again', async () => {
      await expect(store.close()).resolves.toBeUndefined();

      await expect(store.find('0'.repeat(64))).rejects.toThrow();
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
});
