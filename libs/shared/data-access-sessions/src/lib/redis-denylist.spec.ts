import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { createClient } from 'redis';
import type { RedisClientType } from 'redis';
import type { DenialListener, Following } from './denylist';
import { MirroredDenylist } from './mirrored-denylist';
import { RedisDenylist } from './redis-denylist';
import { ManualClock } from './testing/contract-harness';
import { DenialRecorder, eventually } from './testing/denial-recorder';

// eslint-disable-next-line no-restricted-syntax -- test harness reads the CI-provided server URL
const redisUrl = process.env['REDIS_URL'];

/**
 * Closes the subscriber connections of the clients named `name`, as a server
 * restart or a network cut would, leaving every other test's alone.
 */
async function killSubscribers(client: RedisClientType, name: string): Promise<number> {
  const list = String(await client.sendCommand(['CLIENT', 'LIST', 'TYPE', 'pubsub']));
  const ids = list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /^id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
  for (const id of ids) await client.sendCommand(['CLIENT', 'KILL', 'ID', id]);
  return ids.length;
}

describe(RedisDenylist.name, () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('refuses a fractional until before sending anything', async () => {
    // Never connected: a command sent would wait in the offline queue forever.
    const denylist = new RedisDenylist(createClient(), 'svt:');

    await expect(denylist.deny('sid-1', Date.now() + 0.5)).rejects.toThrow(TypeError);
  });

  it('rejects follow when its subscriber cannot connect in time', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const denylist = new RedisDenylist(createClient({ url: 'redis://127.0.0.1:1' }), 'svt:', {
      followConnectTimeoutMs: 200,
    });

    await expect(denylist.follow(new DenialRecorder())).rejects.toThrow(/ECONNREFUSED/);
  });

  if (redisUrl) {
    describe('on a live server', () => {
      const name = `svt-test-${randomBytes(8).toString('hex')}`;
      const prefix = `svt-test:${randomBytes(8).toString('hex')}:`;
      const key = `${prefix}denylist`;
      const followings: Following[] = [];
      let client: RedisClientType;
      let writer: RedisClientType;
      let clock: ManualClock;
      let denylist: RedisDenylist;
      /** Another process on the same server. */
      let elsewhere: RedisDenylist;

      beforeEach(async () => {
        // Named, so a test can find the subscriber a `duplicate()` of it opens.
        client = createClient({ url: redisUrl, name });
        writer = createClient({ url: redisUrl });
        await Promise.all([client.connect(), writer.connect()]);
        clock = new ManualClock();
        denylist = new RedisDenylist(client, prefix, { now: clock.now });
        elsewhere = new RedisDenylist(writer, prefix, { now: clock.now });
      });

      afterEach(async () => {
        await Promise.all(followings.splice(0).map((following) => following.stop()));
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) {
          await Promise.all(keys.map((each) => client.del(each)));
        }
        await Promise.all([client.close(), writer.close()]);
      });

      async function follow(listener: DenialListener): Promise<Following> {
        const following = await denylist.follow(listener);
        followings.push(following);
        return following;
      }

      describe('key layout', () => {
        it('keeps denials in one sorted set, scored by their end, expiring with the last', async () => {
          const until = clock.now() + 60_000;

          await denylist.deny('sid-1', until);
          await denylist.deny('sid-2', until - 1000);

          await expect(client.zRangeWithScores(key, 0, -1)).resolves.toEqual([
            { value: 'sid-2', score: until - 1000 },
            { value: 'sid-1', score: until },
          ]);
          await expect(client.pExpireTime(key)).resolves.toBe(until);
        });

        it('moves a score and the expiry later, never earlier', async () => {
          await denylist.deny('sid-1', clock.now() + 60_000);

          await denylist.deny('sid-1', clock.now() + 120_000);
          await denylist.deny('sid-1', clock.now() + 90_000);

          await expect(client.zScore(key, 'sid-1')).resolves.toBe(clock.now() + 120_000);
          await expect(client.pExpireTime(key)).resolves.toBe(clock.now() + 120_000);
        });

        it('trims the denials that have ended on every write', async () => {
          await denylist.deny('sid-ends', clock.now() + 60_000);
          await denylist.deny('sid-lasts', clock.now() + 120_000);

          clock.advance(60_000);
          await denylist.deny('sid-new', clock.now() + 60_000);

          await expect(client.zRange(key, 0, -1)).resolves.toEqual(['sid-lasts', 'sid-new']);
        });

        it('writes nothing for a denial that has already ended', async () => {
          await denylist.deny('sid-1', clock.now());

          await expect(client.exists(key)).resolves.toBe(0);
        });

        it('publishes each denial as JSON on <prefix>denylist:events', async () => {
          const subscriber = client.duplicate({ name: undefined });
          await subscriber.connect();
          const messages: string[] = [];
          try {
            await subscriber.subscribe(`${prefix}denylist:events`, (message: string) => {
              messages.push(message);
            });
            const until = clock.now() + 60_000;

            await denylist.deny('sid-1', until);

            await eventually(() => messages.length > 0, 'a message published');
            expect(messages.map((message) => JSON.parse(message))).toEqual([
              { sid: 'sid-1', until },
            ]);
          } finally {
            subscriber.destroy();
          }
        });
      });

      describe('follow', () => {
        it('ignores a malformed message, with a warning, and goes on delivering', async () => {
          const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
          const recorder = new DenialRecorder();
          await follow(recorder);
          const channel = `${prefix}denylist:events`;

          for (const message of ['not json', '42', '{"sid":1,"until":2}', '{"sid":"s"}']) {
            await writer.publish(channel, message);
          }
          await elsewhere.deny('sid-1', clock.now() + 60_000);

          await recorder.deliveryOf('sid-1');
          expect(recorder.sids).toEqual(['sid-1']);
          expect(warn).toHaveBeenCalledTimes(4);
          expect(warn).toHaveBeenCalledWith(`Ignored a malformed message on ${channel}`);
        });

        it('reports a dropped subscriber as lost, then resumed once subscribed again', async () => {
          jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
          jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
          const recorder = new DenialRecorder();
          await follow(recorder);

          await expect(killSubscribers(writer, name)).resolves.toBe(1);

          await recorder.signalsToBe(['lost', 'resumed'], 5000);
          await elsewhere.deny('sid-after', clock.now() + 60_000);
          await recorder.deliveryOf('sid-after');
        });

        it('has a denial made while lost in force once resumed', async () => {
          jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
          jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
          const recorder = new DenialRecorder();
          const until = clock.now() + 60_000;
          let denyingInGap: Promise<void> | undefined;
          await follow({
            denied: (denial) => recorder.denied(denial),
            lost: () => {
              recorder.lost();
              denyingInGap = elsewhere.deny('sid-gap', until);
            },
            resumed: () => recorder.resumed(),
          });

          await killSubscribers(writer, name);
          await recorder.signalsToBe(['lost', 'resumed'], 5000);
          await denyingInGap;

          await expect(denylist.inForce()).resolves.toContainEqual({ sid: 'sid-gap', until });
        });

        it('reports nothing, and delivers nothing, once stopped', async () => {
          const recorder = new DenialRecorder();
          const following = await follow(recorder);

          await following.stop();
          await killSubscribers(writer, name);
          await elsewhere.deny('sid-1', clock.now() + 60_000);
          await new Promise((resolve) => setTimeout(resolve, 100));

          expect(recorder.denials).toEqual([]);
          expect(recorder.signals).toEqual([]);
        });
      });

      describe('mirrored', () => {
        it('answers from memory again after a reconnect, a denial made in the gap included', async () => {
          jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
          jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
          const until = clock.now() + 60_000;
          let denyingInGap: Promise<void> | undefined;
          const logger = {
            warn: jest.fn(() => {
              denyingInGap = elsewhere.deny('sid-gap', until);
            }),
            log: jest.fn(),
          };
          const isDenied = jest.spyOn(denylist, 'isDenied');
          const mirror = await MirroredDenylist.start(denylist, { now: clock.now, logger });
          try {
            await killSubscribers(writer, name);
            await eventually(() => logger.log.mock.calls.length > 0, 'live again', 5000);
            await denyingInGap;

            await expect(mirror.isDenied('sid-gap')).resolves.toBe(true);
            await expect(mirror.isDenied('sid-other')).resolves.toBe(false);
            expect(logger.warn).toHaveBeenCalledTimes(1);
            expect(isDenied).not.toHaveBeenCalled();
          } finally {
            await mirror.close();
          }
        });
      });
    });
  }
});
