import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import type { RedisClientType } from 'redis';
import { RedisRateLimitStore } from './redis-rate-limit-store';
import { ManualClock } from './testing/contract-harness';

// eslint-disable-next-line no-restricted-syntax -- test harness reads the CI-provided server URL
const redisUrl = process.env['REDIS_URL'];

describe(RedisRateLimitStore.name, () => {
  it('refuses a fractional windowMs before sending anything', async () => {
    // Never connected: a command sent would wait in the offline queue forever.
    const store = new RedisRateLimitStore(createClient(), 'svt:');

    await expect(store.hit('login:alice', 1.5)).rejects.toThrow(TypeError);
  });

  if (redisUrl) {
    describe('key layout on a live server', () => {
      const prefix = `svt-test:${randomBytes(8).toString('hex')}:`;
      const key = `${prefix}rate:login:alice`;
      let client: RedisClientType;
      let store: RedisRateLimitStore;

      beforeEach(async () => {
        client = createClient({ url: redisUrl });
        await client.connect();
        store = new RedisRateLimitStore(client, prefix, { now: new ManualClock().now });
      });

      afterEach(async () => {
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) {
          await Promise.all(keys.map((found) => client.del(found)));
        }
        await client.close();
      });

      it('counts under the prefixed key, which expires when the first hit says', async () => {
        await store.hit('login:alice', 60_000);
        const closesAt = await client.pExpireTime(key);

        await store.hit('login:alice', 120_000);

        await expect(client.get(key)).resolves.toBe('2');
        await expect(client.pExpireTime(key)).resolves.toBe(closesAt);
        await expect(client.pTTL(key)).resolves.toBeLessThanOrEqual(60_000);
      });

      it('deletes the key on reset', async () => {
        await store.hit('login:alice', 60_000);

        await store.reset('login:alice');

        await expect(client.exists(key)).resolves.toBe(0);
      });
    });
  }
});
