import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import type { RedisClientType } from 'redis';
import { RedisSessionStore } from './redis-session-store';
import type { SessionRecord } from './session-store';
import { ManualClock } from './testing/contract-harness';

// eslint-disable-next-line no-restricted-syntax -- test harness reads the CI-provided server URL
const redisUrl = process.env['REDIS_URL'];

const MINUTE = 60_000;

function aSession(
  userId: string,
  now: number,
  overrides: Partial<SessionRecord> = {},
): SessionRecord {
  const id = randomBytes(32).toString('hex');
  return {
    idHash: id,
    handle: `handle-${id.slice(0, 8)}`,
    userId,
    csrfToken: 'csrf',
    createdAt: now,
    expiresAt: now + 60 * MINUTE,
    lastSeenAt: now,
    idleTimeoutMs: 10 * MINUTE,
    userAgent: null,
    ip: null,
    credentialVersion: 0,
    ssoSid: null,
    ...overrides,
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
      let clock: ManualClock;
      let store: RedisSessionStore;

      beforeEach(async () => {
        client = createClient({ url: redisUrl });
        await client.connect();
        clock = new ManualClock();
        store = new RedisSessionStore(client, prefix, { now: clock.now });
      });

      afterEach(async () => {
        await store.close();
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) {
          await Promise.all(keys.map((key) => client.del(key)));
        }
        await client.close();
      });

      it('stores the record as JSON under the prefixed key, expiring at its idle deadline', async () => {
        const record = aSession('alice', clock.now());

        await store.create(record);

        const key = `${prefix}session:${record.idHash}`;
        await expect(client.get(key)).resolves.toBe(JSON.stringify(record));
        await expect(client.pExpireTime(key)).resolves.toBe(record.lastSeenAt + 10 * MINUTE);
      });

      it('expires the key at expiresAt when that comes before the idle deadline', async () => {
        const record = aSession('alice', clock.now(), { expiresAt: clock.now() + 5 * MINUTE });

        await store.create(record);

        await expect(client.pExpireTime(`${prefix}session:${record.idHash}`)).resolves.toBe(
          record.expiresAt,
        );
      });

      it('moves the key expiry to the new idle deadline on touch, but never past expiresAt', async () => {
        const record = aSession('alice', clock.now(), { expiresAt: clock.now() + 15 * MINUTE });
        const key = `${prefix}session:${record.idHash}`;
        await store.create(record);

        await store.touch(record.idHash, record.lastSeenAt + 3 * MINUTE);
        await expect(client.pExpireTime(key)).resolves.toBe(record.lastSeenAt + 13 * MINUTE);

        await store.touch(record.idHash, record.lastSeenAt + 8 * MINUTE);
        await expect(client.pExpireTime(key)).resolves.toBe(record.expiresAt);
      });

      it('reads a record stored before single sign-on as a password login, ssoSid null', async () => {
        const record = aSession('alice', clock.now());
        // JSON leaves the undefined field out, as records stored before it were.
        const older = JSON.stringify({ ...record, ssoSid: undefined });
        await client.set(`${prefix}session:${record.idHash}`, older);

        await expect(store.find(record.idHash)).resolves.toEqual({ ...record, ssoSid: null });
      });

      it('writes no key when touching a deleted record', async () => {
        const record = aSession('alice', clock.now());
        await store.create(record);
        await store.delete(record.idHash);

        await store.touch(record.idHash, record.lastSeenAt + MINUTE);

        await expect(client.exists(`${prefix}session:${record.idHash}`)).resolves.toBe(0);
      });

      it("keeps the user's index alive until its longest-lived session expires", async () => {
        const later = aSession('alice', clock.now(), { expiresAt: clock.now() + 120 * MINUTE });
        const sooner = aSession('alice', clock.now());

        await store.create(later);
        await store.create(sooner);

        await expect(client.pExpireTime(`${prefix}user-sessions:alice`)).resolves.toBe(
          later.expiresAt,
        );
      });

      it('drops ended members from the index when listing', async () => {
        const shortLived = aSession('alice', clock.now(), { expiresAt: clock.now() + MINUTE });
        const idle = aSession('alice', clock.now(), { idleTimeoutMs: 2 * MINUTE });
        const lasting = aSession('alice', clock.now());
        for (const record of [shortLived, idle, lasting]) {
          await store.create(record);
        }
        clock.advance(3 * MINUTE);

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
