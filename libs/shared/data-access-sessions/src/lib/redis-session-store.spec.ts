import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import type { RedisClientType } from 'redis';
import { RedisSessionStore } from './redis-session-store';
import type { SessionRecord } from './session-store';

// eslint-disable-next-line no-restricted-syntax -- test harness reads the CI-provided server URL
const redisUrl = process.env['REDIS_URL'];

function aSession(userId: string, expiresAt: number): SessionRecord {
  const id = randomBytes(32).toString('hex');
  return {
    idHash: id,
    handle: `handle-${id.slice(0, 8)}`,
    userId,
    csrfToken: 'csrf',
    createdAt: Date.now(),
    expiresAt,
    lastSeenAt: Date.now(),
    userAgent: null,
    ip: null,
  };
}

describe(RedisSessionStore.name, () => {
  describe('connect', () => {
    it('rejects with the server named, and no password, when Redis is unreachable', async () => {
      const connecting = RedisSessionStore.connect('redis://app:s3cret@127.0.0.1:1', 'svt:', {
        connectTimeoutMs: 300,
      });

      await expect(connecting).rejects.toThrow(
        /^Cannot connect to Redis at 127\.0\.0\.1:1: connect ECONNREFUSED/,
      );
      await expect(connecting).rejects.toThrow(
        expect.objectContaining({
          message: expect.not.stringContaining('s3cret'),
        }),
      );
    });

    it('rejects an unparsable URL without echoing it', async () => {
      await expect(RedisSessionStore.connect('redis://app:s3cret@[bad', 'svt:')).rejects.toThrow(
        'The Redis URL is not a valid URL',
      );
    });
  });

  if (redisUrl) {
    describe('key layout on a live server', () => {
      const prefix = `svt-test:${randomBytes(8).toString('hex')}:`;
      let client: RedisClientType;
      let store: RedisSessionStore;

      beforeEach(async () => {
        client = createClient({ url: redisUrl });
        await client.connect();
        store = new RedisSessionStore(client, prefix);
      });

      afterEach(async () => {
        await store.close();
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) {
          await Promise.all(keys.map((key) => client.del(key)));
        }
        await client.close();
      });

      it('stores the record as JSON under the prefixed key, expiring at expiresAt', async () => {
        const record = aSession('alice', Date.now() + 60_000);

        await store.create(record);

        const key = `${prefix}session:${record.idHash}`;
        await expect(client.get(key)).resolves.toBe(JSON.stringify(record));
        await expect(client.pExpireTime(key)).resolves.toBe(record.expiresAt);
      });

      it("keeps the user's index alive until its longest-lived session expires", async () => {
        const later = aSession('alice', Date.now() + 120_000);
        const sooner = aSession('alice', Date.now() + 60_000);

        await store.create(later);
        await store.create(sooner);

        await expect(client.pExpireTime(`${prefix}user-sessions:alice`)).resolves.toBe(
          later.expiresAt,
        );
      });

      it('drops expired members from the index when listing', async () => {
        const shortLived = aSession('alice', Date.now() + 100);
        const lasting = aSession('alice', Date.now() + 60_000);
        await store.create(shortLived);
        await store.create(lasting);
        await new Promise((resolve) => setTimeout(resolve, 200));

        await store.listByUser('alice');

        await expect(client.zRange(`${prefix}user-sessions:alice`, 0, -1)).resolves.toEqual([
          lasting.idHash,
        ]);
      });

      it('leaves a client it did not open open on close', async () => {
        await store.close();

        await expect(client.ping()).resolves.toBe('PONG');
      });
    });
  }
});
