import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import type { RedisClientType } from 'redis';
import { RedisDenylist } from './redis-denylist';
import { ManualClock } from './testing/contract-harness';

// eslint-disable-next-line no-restricted-syntax -- test harness reads the CI-provided server URL
const redisUrl = process.env['REDIS_URL'];

describe(RedisDenylist.name, () => {
  it('refuses a fractional until before sending anything', async () => {
    // Never connected: a command sent would wait in the offline queue forever.
    const denylist = new RedisDenylist(createClient(), 'svt:');

    await expect(denylist.deny('sid-1', Date.now() + 0.5)).rejects.toThrow(TypeError);
  });

  if (redisUrl) {
    describe('key layout on a live server', () => {
      const prefix = `svt-test:${randomBytes(8).toString('hex')}:`;
      let client: RedisClientType;
      let clock: ManualClock;
      let denylist: RedisDenylist;

      beforeEach(async () => {
        client = createClient({ url: redisUrl });
        await client.connect();
        clock = new ManualClock();
        denylist = new RedisDenylist(client, prefix, { now: clock.now });
      });

      afterEach(async () => {
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) {
          await Promise.all(keys.map((key) => client.del(key)));
        }
        await client.close();
      });

      it('keys a denial by sid, expiring when the denial ends', async () => {
        const until = clock.now() + 60_000;

        await denylist.deny('sid-1', until);

        await expect(client.get(`${prefix}denied-sid:sid-1`)).resolves.toBe('1');
        await expect(client.pExpireTime(`${prefix}denied-sid:sid-1`)).resolves.toBe(until);
      });

      it('moves the expiry later, never earlier', async () => {
        const key = `${prefix}denied-sid:sid-1`;
        await denylist.deny('sid-1', clock.now() + 60_000);

        await denylist.deny('sid-1', clock.now() + 120_000);
        await denylist.deny('sid-1', clock.now() + 90_000);

        await expect(client.pExpireTime(key)).resolves.toBe(clock.now() + 120_000);
      });

      it('writes no key for a denial that has already ended', async () => {
        await denylist.deny('sid-1', clock.now());

        await expect(client.exists(`${prefix}denied-sid:sid-1`)).resolves.toBe(0);
      });
    });
  }
});
