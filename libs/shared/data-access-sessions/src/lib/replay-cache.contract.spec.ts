import { MemoryReplayCache } from './memory-replay-cache';
import { RedisReplayCache } from './redis-replay-cache';
import type { ReplayCache } from './replay-cache';
import { SqliteReplayCache } from './sqlite-replay-cache';
import {
  contractBackends,
  nothingToClose,
  onOwnClient,
  selfClosing,
} from './testing/contract-harness';
import type { Backend, Storage } from './testing/contract-harness';

function replayCacheBackends(): Backend<ReplayCache>[] {
  return contractBackends<ReplayCache>({
    port: 'ReplayCache',
    memory: {
      name: MemoryReplayCache.name,
      open: (now) => nothingToClose(new MemoryReplayCache({ now })),
    },
    sqlite: {
      name: SqliteReplayCache.name,
      open: async (file, now) => selfClosing(await SqliteReplayCache.open(file, { now })),
    },
    redis: {
      name: RedisReplayCache.name,
      open: (redis, prefix) => onOwnClient(redis, (client) => new RedisReplayCache(client, prefix)),
      // Redis forgets ids by its own clock: a test moves its keys on.
      ageKeys: true,
    },
  });
}

const SECOND = 1000;
const REMEMBER_MS = 180 * SECOND;

describe('ReplayCache contract', () => {
  describe.each(replayCacheBackends())('$name', (backend) => {
    let storage: Storage<ReplayCache>;
    let cache: ReplayCache;

    beforeEach(async () => {
      storage = await backend.create();
      cache = await storage.open();
    });

    afterEach(async () => {
      await storage.dispose();
    });

    it('answers true for the first use of an id, and false for every use after it', async () => {
      await expect(cache.firstUse('jti-1', REMEMBER_MS)).resolves.toBe(true);
      await expect(cache.firstUse('jti-1', REMEMBER_MS)).resolves.toBe(false);
      await expect(cache.firstUse('jti-1', REMEMBER_MS)).resolves.toBe(false);
    });

    it('keeps each id on its own', async () => {
      await cache.firstUse('jti-1', REMEMBER_MS);

      await expect(cache.firstUse('jti-2', REMEMBER_MS)).resolves.toBe(true);
      await expect(cache.firstUse('jti-1', REMEMBER_MS)).resolves.toBe(false);
    });

    it('remembers an id until rememberMs has passed, then takes its next use for a first one', async () => {
      await cache.firstUse('jti-1', REMEMBER_MS);
      await storage.advance(REMEMBER_MS / 2);
      await expect(cache.firstUse('jti-1', REMEMBER_MS)).resolves.toBe(false);

      await storage.advance(REMEMBER_MS / 2);

      await expect(cache.firstUse('jti-1', REMEMBER_MS)).resolves.toBe(true);
      await expect(cache.firstUse('jti-1', REMEMBER_MS)).resolves.toBe(false);
    });

    it('keeps the rememberMs of the first use: a refused use does not extend it', async () => {
      await cache.firstUse('jti-1', REMEMBER_MS);
      await storage.advance(REMEMBER_MS / 2);
      await cache.firstUse('jti-1', 10 * REMEMBER_MS);

      await storage.advance(REMEMBER_MS / 2);

      await expect(cache.firstUse('jti-1', REMEMBER_MS)).resolves.toBe(true);
    });

    it('answers true to exactly one of 20 parallel uses of an id', async () => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => cache.firstUse('jti-1', REMEMBER_MS)),
      );

      expect(answers.filter(Boolean)).toHaveLength(1);
    });

    it('takes the next use of a forgotten id for a first one, for that id only', async () => {
      await cache.firstUse('jti-1', REMEMBER_MS);
      await cache.firstUse('jti-2', REMEMBER_MS);

      await cache.forget('jti-1');

      await expect(cache.firstUse('jti-1', REMEMBER_MS)).resolves.toBe(true);
      await expect(cache.firstUse('jti-2', REMEMBER_MS)).resolves.toBe(false);
    });

    it('treats forgetting an unknown id as done', async () => {
      await expect(cache.forget('jti-nobody')).resolves.toBeUndefined();
    });

    it.each([0, -1, 1.5, Number.NaN])(
      'rejects a rememberMs of %p with a TypeError, remembering nothing',
      async (rememberMs) => {
        await expect(cache.firstUse('jti-1', rememberMs)).rejects.toThrow(TypeError);
        await expect(cache.firstUse('jti-1', REMEMBER_MS)).resolves.toBe(true);
      },
    );

    if (backend.shared) {
      it('answers true to exactly one of 20 parallel uses of an id from two instances', async () => {
        const other = await storage.open();

        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 === 0 ? cache : other).firstUse('jti-1', REMEMBER_MS),
          ),
        );

        expect(answers.filter(Boolean)).toHaveLength(1);
        await expect(other.firstUse('jti-1', REMEMBER_MS)).resolves.toBe(false);
      });

      it('lets a forget by one instance reach the others', async () => {
        const other = await storage.open();
        await cache.firstUse('jti-1', REMEMBER_MS);

        await other.forget('jti-1');

        await expect(cache.firstUse('jti-1', REMEMBER_MS)).resolves.toBe(true);
      });
    } else {
      it('remembers per instance, so a second instance takes a replay for a first use', async () => {
        const other = await storage.open();
        await cache.firstUse('jti-1', REMEMBER_MS);

        await expect(other.firstUse('jti-1', REMEMBER_MS)).resolves.toBe(true);
      });
    }
  });
});
