import { createClient } from 'redis';
import type { RedisClientType } from 'redis';
import { RedisReplayCache } from './redis-replay-cache';
import { redisUrlForTests, uniquePrefix } from './testing/contract-harness';

const redisUrl = redisUrlForTests(`${RedisReplayCache.name} key layout`);

describe(RedisReplayCache.name, () => {
  it('refuses a fractional rememberMs before sending anything', async () => {
    // Never connected: a command sent would wait in the offline queue forever.
    const cache = new RedisReplayCache(createClient(), 'svt:');

    await expect(cache.firstUse('jti-1', 1.5)).rejects.toThrow(TypeError);
  });

  if (!redisUrl) return;

  describe('key layout on a live server', () => {
    const prefix = uniquePrefix();
    const key = `${prefix}replay:jti-1`;
    let client: RedisClientType;
    let cache: RedisReplayCache;

    beforeEach(async () => {
      client = createClient({ url: redisUrl });
      await client.connect();
      cache = new RedisReplayCache(client, prefix);
    });

    afterEach(async () => {
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) {
        await Promise.all(keys.map((found) => client.del(found)));
      }
      await client.close();
    });

    it('remembers an id as the prefixed key, expiring after rememberMs of the first use', async () => {
      await cache.firstUse('jti-1', 60_000);
      const forgottenAt = await client.pExpireTime(key);

      await cache.firstUse('jti-1', 120_000);

      await expect(client.get(key)).resolves.toBe('1');
      await expect(client.pExpireTime(key)).resolves.toBe(forgottenAt);
      await expect(client.pTTL(key)).resolves.toBeLessThanOrEqual(60_000);
    });

    it('deletes the key on forget', async () => {
      await cache.firstUse('jti-1', 60_000);

      await cache.forget('jti-1');

      await expect(client.exists(key)).resolves.toBe(0);
    });
  });
});
