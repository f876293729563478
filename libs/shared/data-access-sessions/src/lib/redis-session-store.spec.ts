import { randomBytes, randomUUID } from 'node:crypto';
import { createClient, RESP_TYPES } from 'redis';
import type { RedisClientType } from 'redis';
import { RedisSessionStore } from './redis-session-store';
import { decodeSessionValue } from './session-record-encoding';
import type { SessionRecord } from './session-store';
import { deleteKeysWithPrefix, ManualClock } from './testing/contract-harness';

// eslint-disable-next-line no-restricted-syntax -- test harness reads the CI-provided server URL
const redisUrl = process.env['REDIS_URL'];

const MINUTE = 60_000;

/** A current desktop Chrome's User-Agent, as most sessions carry one like it. */
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** A view of `client` whose replies are bytes: keys and values are binary. */
function binaryView(client: RedisClientType) {
  return client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
}

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
    amr: ['pwd'],
    authTime: now,
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
      let connection: RedisClientType;
      let client: ReturnType<typeof binaryView>;
      let clock: ManualClock;
      let store: RedisSessionStore;

      /** The record's key: the prefix, `session:` and the 32 raw bytes of the id hash. */
      function recordKey(record: SessionRecord): Buffer {
        return Buffer.concat([Buffer.from(`${prefix}session:`), Buffer.from(record.idHash, 'hex')]);
      }

      /** A record as stored before the compact layout: JSON under the hex id hash, indexed by it. */
      async function storeAsBefore(record: SessionRecord): Promise<void> {
        await client.set(`${prefix}session:${record.idHash}`, JSON.stringify(record), {
          expiration: { type: 'PXAT', value: record.lastSeenAt + record.idleTimeoutMs },
        });
        await client.zAdd(`${prefix}user-sessions:${record.userId}`, {
          score: record.expiresAt,
          value: record.idHash,
        });
      }

      beforeEach(async () => {
        connection = createClient({ url: redisUrl });
        client = binaryView(connection);
        await connection.connect();
        clock = new ManualClock();
        store = new RedisSessionStore(connection, prefix, { now: clock.now });
      });

      afterEach(async () => {
        await store.close();
        await deleteKeysWithPrefix(redisUrl, prefix);
        await connection.close();
      });

      it('stores the record compactly under the raw id hash, expiring at its idle deadline', async () => {
        const record = aSession('alice', clock.now());

        await store.create(record);

        const value = await client.get(recordKey(record));
        expect(value?.[0]).toBe(0x03);
        expect(decodeSessionValue(record.idHash, value as Buffer)).toEqual(record);
        await expect(client.pExpireTime(recordKey(record))).resolves.toBe(
          record.lastSeenAt + 10 * MINUTE,
        );
      });

      it("indexes the session by the raw id hash in its user's sorted set", async () => {
        const record = aSession('alice', clock.now());

        await store.create(record);

        await expect(client.zRange(`${prefix}user-sessions:alice`, 0, -1)).resolves.toEqual([
          Buffer.from(record.idHash, 'hex'),
        ]);
      });

      it('keeps a browser session with a Chrome user agent and an IPv4 address under 512 bytes of Redis memory', async () => {
        const record = aSession(randomUUID(), clock.now(), {
          handle: randomUUID(),
          csrfToken: randomBytes(32).toString('base64url'),
          userAgent: CHROME,
          ip: '203.0.113.7',
        });

        await store.create(record);

        // MEMORY USAGE counts the key, its value and its entry in the keyspace;
        // a user's index (one per user, shared by their sessions) comes on top.
        const recordBytes = await client.memoryUsage(recordKey(record));
        const indexBytes = await client.memoryUsage(`${prefix}user-sessions:${record.userId}`);
        expect(recordBytes).toBeLessThanOrEqual(256);
        expect((recordBytes ?? Infinity) + (indexBytes ?? Infinity)).toBeLessThanOrEqual(512);
      });

      it('expires the key at expiresAt when that comes before the idle deadline', async () => {
        const record = aSession('alice', clock.now(), { expiresAt: clock.now() + 5 * MINUTE });

        await store.create(record);

        await expect(client.pExpireTime(recordKey(record))).resolves.toBe(record.expiresAt);
      });

      it('moves the key expiry to the new idle deadline on touch, but never past expiresAt', async () => {
        const record = aSession('alice', clock.now(), { expiresAt: clock.now() + 15 * MINUTE });
        const key = recordKey(record);
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

      it('rejects an id hash that is not a SHA-256 in lowercase hex with a TypeError', async () => {
        const record = aSession('alice', clock.now(), { idHash: 'A'.repeat(64) });

        await expect(store.create(record)).rejects.toThrow(TypeError);
      });

      describe('with records stored before the compact layout (JSON under the hex id hash)', () => {
        it('finds them', async () => {
          const record = aSession('alice', clock.now(), { userAgent: CHROME, ip: '203.0.113.7' });
          await storeAsBefore(record);

          await expect(store.find(record.idHash)).resolves.toEqual(record);
        });

        it('touches them in place, as JSON', async () => {
          const record = aSession('alice', clock.now());
          await storeAsBefore(record);

          await store.touch(record.idHash, record.lastSeenAt + MINUTE);

          const key = `${prefix}session:${record.idHash}`;
          const stored = await client.get(key);
          expect(JSON.parse(stored?.toString() ?? 'null')).toEqual({
            ...record,
            lastSeenAt: record.lastSeenAt + MINUTE,
          });
          await expect(client.pExpireTime(key)).resolves.toBe(record.lastSeenAt + 11 * MINUTE);
          await expect(client.exists(recordKey(record))).resolves.toBe(0);
        });

        it("lists them with the user's new sessions", async () => {
          const older = aSession('alice', clock.now());
          const newer = aSession('alice', clock.now() + 1, { createdAt: clock.now() + 1 });
          await storeAsBefore(older);
          await store.create(newer);

          await expect(store.listByUser('alice')).resolves.toEqual([older, newer]);
        });

        it('deletes one, and its index entry', async () => {
          const record = aSession('alice', clock.now());
          await storeAsBefore(record);

          await store.delete(record.idHash);

          await expect(store.find(record.idHash)).resolves.toBeNull();
          await expect(client.exists(`${prefix}user-sessions:alice`)).resolves.toBe(0);
        });

        it("deletes them with the user's new sessions", async () => {
          const older = aSession('alice', clock.now());
          const newer = aSession('alice', clock.now());
          await storeAsBefore(older);
          await store.create(newer);

          await expect(store.deleteByUser('alice')).resolves.toBe(2);

          await expect(store.find(older.idHash)).resolves.toBeNull();
          await expect(store.find(newer.idHash)).resolves.toBeNull();
        });
      });

      it('writes no key when touching a deleted record', async () => {
        const record = aSession('alice', clock.now());
        await store.create(record);
        await store.delete(record.idHash);

        await store.touch(record.idHash, record.lastSeenAt + MINUTE);

        await expect(client.exists(recordKey(record))).resolves.toBe(0);
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
          Buffer.from(lasting.idHash, 'hex'),
        ]);
      });

      it('leaves a client it did not open open on close', async () => {
        await store.close();

        await expect(client.ping()).resolves.toBe('PONG');
      });
    });
  }
});
