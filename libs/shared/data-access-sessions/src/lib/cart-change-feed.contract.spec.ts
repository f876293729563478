import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteClient } from '@svt/shared/data-access-sql';
import type { CartChangeFeed, CartChangeListener } from './cart-change-feed';
import type { Following } from './denylist';
import { MemoryCartChangeFeed } from './memory-cart-change-feed';
import { RedisCartChangeFeed } from './redis-cart-change-feed';
import { SqliteCartChangeFeed } from './sqlite-cart-change-feed';
import { contractBackends, nothingToClose, onOwnClient } from './testing/contract-harness';
import type { Backend, Storage } from './testing/contract-harness';

function feedBackends(): Backend<CartChangeFeed>[] {
  return contractBackends<CartChangeFeed>({
    port: 'CartChangeFeed',
    memory: {
      name: MemoryCartChangeFeed.name,
      open: () => nothingToClose(new MemoryCartChangeFeed()),
    },
    sqlite: {
      name: SqliteCartChangeFeed.name,
      open: async (file, now) => {
        const sql = new SqliteClient(file);
        const feed = await SqliteCartChangeFeed.on(sql, { now });
        return {
          port: feed,
          close: async () => {
            await feed.close();
            await sql.close();
          },
        };
      },
    },
    redis: {
      name: RedisCartChangeFeed.name,
      open: (redis, prefix) =>
        onOwnClient(redis, (client) => new RedisCartChangeFeed(client, prefix)),
    },
  });
}

/** Records what a following delivers. */
class ChangeRecorder implements CartChangeListener {
  readonly userIds: string[] = [];
  readonly signals: string[] = [];

  changed(userId: string): void {
    this.userIds.push(userId);
  }

  lost(): void {
    this.signals.push('lost');
  }

  resumed(): void {
    this.signals.push('resumed');
  }

  /** Resolves once `userId` was delivered, or after `timeoutMs` (the caller asserts). */
  async deliveryOf(userId: string, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.userIds.includes(userId) && Date.now() < deadline) await sleep(10);
  }
}

describe('CartChangeFeed contract', () => {
  describe.each(feedBackends())('$name', (backend) => {
    let storage: Storage<CartChangeFeed>;
    let feed: CartChangeFeed;
    /** Another process on the same storage, or this one when the storage is per process. */
    let elsewhere: CartChangeFeed;
    const followings: Following[] = [];

    beforeEach(async () => {
      storage = await backend.create();
      feed = await storage.open();
      elsewhere = backend.shared ? await storage.open() : feed;
    });

    afterEach(async () => {
      await Promise.all(followings.splice(0).map((following) => following.stop()));
      await storage.dispose();
    });

    async function follow(recorder: ChangeRecorder): Promise<Following> {
      const following = await feed.follow(recorder);
      followings.push(following);
      return following;
    }

    it(`delivers within 1 s a change announced ${backend.shared ? 'by another instance' : 'here'}`, async () => {
      const recorder = new ChangeRecorder();
      await follow(recorder);

      await elsewhere.publish('user-1');

      await recorder.deliveryOf('user-1', 1000);
      expect(recorder.userIds).toEqual(['user-1']);
      expect(recorder.signals).toEqual([]);
    });

    it('delivers nothing announced before it started', async () => {
      await elsewhere.publish('user-before');
      const recorder = new ChangeRecorder();
      await follow(recorder);

      await elsewhere.publish('user-after');

      await recorder.deliveryOf('user-after');
      expect(recorder.userIds).toEqual(['user-after']);
    });

    it('delivers to every following', async () => {
      const first = new ChangeRecorder();
      const second = new ChangeRecorder();
      await follow(first);
      await follow(second);

      await elsewhere.publish('user-1');

      await Promise.all([first.deliveryOf('user-1'), second.deliveryOf('user-1')]);
      expect([first.userIds, second.userIds]).toEqual([['user-1'], ['user-1']]);
    });

    it('stops delivering once stopped, idempotently', async () => {
      const stopped = new ChangeRecorder();
      const running = new ChangeRecorder();
      const following = await follow(stopped);
      await follow(running);

      await following.stop();
      await following.stop();
      await elsewhere.publish('user-1');
      await elsewhere.publish('user-marker');

      await running.deliveryOf('user-marker');
      expect(stopped.userIds).toEqual([]);
    });
  });
});
