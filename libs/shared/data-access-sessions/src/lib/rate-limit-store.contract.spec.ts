import { MemoryRateLimitStore } from './memory-rate-limit-store';
import type { Attempt, BackoffPolicy, RateLimitStore, RateLimitWindow } from './rate-limit-store';
import { RedisRateLimitStore } from './redis-rate-limit-store';
import { SqliteRateLimitStore } from './sqlite-rate-limit-store';
import {
  contractBackends,
  nothingToClose,
  onOwnClient,
  selfClosing,
} from './testing/contract-harness';
import type { Backend, Storage } from './testing/contract-harness';

function rateLimitBackends(): Backend<RateLimitStore>[] {
  return contractBackends<RateLimitStore>({
    port: 'RateLimitStore',
    memory: {
      name: MemoryRateLimitStore.name,
      open: (now) => nothingToClose(new MemoryRateLimitStore({ now })),
    },
    sqlite: {
      name: SqliteRateLimitStore.name,
      open: async (file, now) => selfClosing(await SqliteRateLimitStore.open(file, { now })),
    },
    redis: {
      name: RedisRateLimitStore.name,
      open: (redis, prefix, now) =>
        onOwnClient(redis, (client) => new RedisRateLimitStore(client, prefix, { now })),
      // Redis closes the windows by its own clock: a test moves its keys on.
      ageKeys: true,
    },
  });
}

const SECOND = 1000;
const WINDOW_MS = 60 * SECOND;

describe('RateLimitStore contract', () => {
  describe.each(rateLimitBackends())('$name', (backend) => {
    let storage: Storage<RateLimitStore>;
    let store: RateLimitStore;

    beforeEach(async () => {
      storage = await backend.create();
      store = await storage.open();
    });

    afterEach(async () => {
      await storage.dispose();
    });

    /** Asserts a window, allowing for the backend's own clock having moved on. */
    function expectWindow(window: RateLimitWindow | null, count: number, resetAt: number): void {
      expect(window?.count).toBe(count);
      expect(window?.resetAt).toBeLessThanOrEqual(resetAt);
      expect(window?.resetAt).toBeGreaterThanOrEqual(resetAt - backend.clockSlackMs);
    }

    it('counts hits on a key within one window that the first hit opened', async () => {
      const resetAt = storage.clock.now() + WINDOW_MS;

      expectWindow(await store.hit('login:alice', WINDOW_MS), 1, resetAt);
      await storage.advance(20 * SECOND);
      expectWindow(await store.hit('login:alice', WINDOW_MS), 2, resetAt);
      await storage.advance(20 * SECOND);
      expectWindow(await store.hit('login:alice', WINDOW_MS), 3, resetAt);
    });

    it("keeps the first hit's window length for the whole window", async () => {
      const resetAt = storage.clock.now() + WINDOW_MS;
      await store.hit('login:alice', WINDOW_MS);

      expectWindow(await store.hit('login:alice', 10 * SECOND), 2, resetAt);
    });

    it('counts each key on its own', async () => {
      await store.hit('login:alice', WINDOW_MS);
      await store.hit('login:alice', WINDOW_MS);

      expectWindow(await store.hit('login:bob', WINDOW_MS), 1, storage.clock.now() + WINDOW_MS);
    });

    it('opens a new window with the first hit at or after resetAt', async () => {
      await store.hit('login:alice', WINDOW_MS);
      await storage.advance(30 * SECOND);
      await store.hit('login:alice', WINDOW_MS);

      await storage.advance(30 * SECOND);

      expectWindow(await store.hit('login:alice', WINDOW_MS), 1, storage.clock.now() + WINDOW_MS);
    });

    it('peeks at the open window without counting', async () => {
      const resetAt = storage.clock.now() + WINDOW_MS;
      await store.hit('login:alice', WINDOW_MS);
      await store.hit('login:alice', WINDOW_MS);

      expectWindow(await store.peek('login:alice'), 2, resetAt);
      expectWindow(await store.peek('login:alice'), 2, resetAt);
      expectWindow(await store.hit('login:alice', WINDOW_MS), 3, resetAt);
    });

    it('peeks null at a key without hits, and once its window has closed', async () => {
      await expect(store.peek('login:alice')).resolves.toBeNull();
      await store.hit('login:alice', WINDOW_MS);

      await storage.advance(WINDOW_MS);

      await expect(store.peek('login:alice')).resolves.toBeNull();
    });

    it('closes the window on reset, so the next hit opens a new one', async () => {
      await store.hit('login:alice', WINDOW_MS);
      await store.hit('login:bob', WINDOW_MS);
      await storage.advance(30 * SECOND);

      await store.reset('login:alice');

      await expect(store.peek('login:alice')).resolves.toBeNull();
      expectWindow(await store.hit('login:alice', WINDOW_MS), 1, storage.clock.now() + WINDOW_MS);
      expect((await store.peek('login:bob'))?.count).toBe(1);
    });

    it('treats resetting a key without a window as done', async () => {
      await expect(store.reset('login:nobody')).resolves.toBeUndefined();
    });

    it.each([0, -1, 1.5, Number.NaN])(
      'rejects a windowMs of %p with a TypeError, counting nothing',
      async (windowMs) => {
        await expect(store.hit('login:alice', windowMs)).rejects.toThrow(TypeError);
        await expect(store.peek('login:alice')).resolves.toBeNull();
      },
    );

    describe('attempt', () => {
      const POLICY: BackoffPolicy = {
        windowMs: 15 * 60 * SECOND,
        blockFrom: 3,
        firstBlockMs: 1 * SECOND,
        maxBlockMs: 4 * SECOND,
      };

      const attempts = (count: number, key = 'login:alice'): Promise<Attempt[]> =>
        Array.from({ length: count }).reduce<Promise<Attempt[]>>(
          async (done) => [...(await done), await store.attempt(key, POLICY)],
          Promise.resolve([]),
        );

      function expectRefusedUntil(attempt: Attempt, retryAt: number): void {
        expect(attempt.allowed).toBe(false);
        if (attempt.allowed) return;
        expect(attempt.retryAt).toBeLessThanOrEqual(retryAt);
        expect(attempt.retryAt).toBeGreaterThanOrEqual(retryAt - backend.clockSlackMs);
      }

      it('numbers the attempts of a window from 1, blocking nothing before blockFrom', async () => {
        expect(await attempts(2)).toEqual([
          { allowed: true, number: 1, blockMs: 0 },
          { allowed: true, number: 2, blockMs: 0 },
        ]);
      });

      it('blocks the key from the blockFrom-th attempt on, before its check runs, and refuses the next without counting it', async () => {
        const [, , third] = await attempts(3);
        const blockedAt = storage.clock.now();

        expect(third).toEqual({ allowed: true, number: 3, blockMs: SECOND });
        expectRefusedUntil(await store.attempt('login:alice', POLICY), blockedAt + SECOND);
        expectRefusedUntil(await store.attempt('login:alice', POLICY), blockedAt + SECOND);
        await storage.advance(SECOND);
        expect(await store.attempt('login:alice', POLICY)).toEqual({
          allowed: true,
          number: 4,
          blockMs: 2 * SECOND,
        });
      });

      it('doubles the block with each further attempt, up to maxBlockMs', async () => {
        const blocks: number[] = [];
        for (let i = 0; i < 6; i += 1) {
          const attempt = await store.attempt('login:alice', POLICY);
          if (!attempt.allowed) throw new Error('refused while no block was in force');
          blocks.push(attempt.blockMs);
          await storage.advance(attempt.blockMs);
        }

        expect(blocks).toEqual([0, 0, SECOND, 2 * SECOND, 4 * SECOND, 4 * SECOND]);
      });

      it('forgets the attempts and lifts the block on forgive, for that key only', async () => {
        await attempts(3);
        await attempts(3, 'login:bob');

        await store.forgive('login:alice');

        expect(await store.attempt('login:alice', POLICY)).toEqual({
          allowed: true,
          number: 1,
          blockMs: 0,
        });
        expect((await store.attempt('login:bob', POLICY)).allowed).toBe(false);
      });

      it('starts counting anew once the window has closed', async () => {
        await attempts(2);

        await storage.advance(POLICY.windowMs);

        expect(await store.attempt('login:alice', POLICY)).toEqual({
          allowed: true,
          number: 1,
          blockMs: 0,
        });
      });

      it('keeps attempts apart from hit windows of the same key', async () => {
        await store.hit('login:alice', WINDOW_MS);

        expect((await store.attempt('login:alice', POLICY)).allowed).toBe(true);
        expect((await store.peek('login:alice'))?.count).toBe(1);
      });

      it.each<[string, Partial<BackoffPolicy>]>([
        ['a blockFrom of 0', { blockFrom: 0 }],
        ['a fractional windowMs', { windowMs: 1.5 }],
        ['a negative firstBlockMs', { firstBlockMs: -1 }],
        ['a maxBlockMs of 0', { maxBlockMs: 0 }],
      ])('rejects %s with a TypeError', async (_, change) => {
        await expect(store.attempt('login:alice', { ...POLICY, ...change })).rejects.toThrow(
          TypeError,
        );
      });

      if (backend.shared) {
        it('lets exactly blockFrom of many parallel attempts from two instances through', async () => {
          const other = await storage.open();

          const answers = await Promise.all(
            Array.from({ length: 30 }, (_, i) =>
              (i % 2 === 0 ? store : other).attempt('login:alice', POLICY),
            ),
          );

          const numbers = answers.flatMap((answer) => (answer.allowed ? [answer.number] : []));
          expect(numbers.sort((a, b) => a - b)).toEqual([1, 2, 3]);
        });
      }
    });

    if (backend.shared) {
      it('counts concurrent hits from two instances exactly once each', async () => {
        const other = await storage.open();
        const resetAt = storage.clock.now() + WINDOW_MS;

        const windows = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            (i % 2 === 0 ? store : other).hit('login:alice', WINDOW_MS),
          ),
        );

        const counts = windows.map((window) => window.count).sort((a, b) => a - b);
        expect(counts).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        for (const window of windows) expectWindow(window, window.count, resetAt);
        expectWindow(await other.peek('login:alice'), 50, resetAt);
      });
    } else {
      it('counts per instance, so a second instance starts from zero', async () => {
        const other = await storage.open();
        await store.hit('login:alice', WINDOW_MS);

        await expect(other.peek('login:alice')).resolves.toBeNull();
      });
    }
  });
});
