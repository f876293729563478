import type { Denylist } from './denylist';
import { MemoryDenylist } from './memory-denylist';
import { RedisDenylist } from './redis-denylist';
import { connectRedis } from './redis-connection';
import { SqliteDenylist } from './sqlite-denylist';
import {
  memoryBackend,
  redisBackend,
  redisUrlForTests,
  selfClosing,
  sqliteBackend,
} from './testing/contract-harness';
import type { Backend, Storage } from './testing/contract-harness';

function denylistBackends(): Backend<Denylist>[] {
  const backends: Backend<Denylist>[] = [
    memoryBackend(MemoryDenylist.name, (now) => ({
      port: new MemoryDenylist({ now }),
      close: async () => undefined,
    })),
    sqliteBackend(SqliteDenylist.name, async (file, now) =>
      selfClosing(await SqliteDenylist.open(file, { now })),
    ),
  ];
  const redisUrl = redisUrlForTests('Denylist');
  if (redisUrl) {
    backends.push(
      redisBackend(RedisDenylist.name, redisUrl, async (prefix, now) => {
        const client = await connectRedis(redisUrl);
        return { port: new RedisDenylist(client, prefix, { now }), close: () => client.close() };
      }),
    );
  }
  return backends;
}

const MINUTE = 60_000;

describe('Denylist contract', () => {
  describe.each(denylistBackends())('$name', (backend) => {
    let storage: Storage<Denylist>;
    let denylist: Denylist;

    beforeEach(async () => {
      storage = await backend.create();
      denylist = await storage.open();
    });

    afterEach(async () => {
      await storage.dispose();
    });

    it('answers false for a sid never denied', async () => {
      await expect(denylist.isDenied('sid-unknown')).resolves.toBe(false);
    });

    it('denies a sid until `until`, and only that sid', async () => {
      await denylist.deny('sid-1', storage.clock.now() + 10 * MINUTE);

      await expect(denylist.isDenied('sid-1')).resolves.toBe(true);
      await expect(denylist.isDenied('sid-2')).resolves.toBe(false);
      await storage.advance(10 * MINUTE - 1);
      await expect(denylist.isDenied('sid-1')).resolves.toBe(true);
      await storage.advance(1);
      await expect(denylist.isDenied('sid-1')).resolves.toBe(false);
    });

    it('treats denying the same sid again with the same until as done', async () => {
      const until = storage.clock.now() + 10 * MINUTE;

      await denylist.deny('sid-1', until);
      await denylist.deny('sid-1', until);

      await expect(denylist.isDenied('sid-1')).resolves.toBe(true);
      await storage.advance(10 * MINUTE);
      await expect(denylist.isDenied('sid-1')).resolves.toBe(false);
    });

    it.each([
      ['later', [10, 20]],
      ['earlier', [20, 10]],
    ])('keeps the later until when the second denial is %s', async (_, minutes) => {
      const start = storage.clock.now();
      for (const m of minutes) {
        await denylist.deny('sid-1', start + m * MINUTE);
      }

      await storage.advance(15 * MINUTE);
      await expect(denylist.isDenied('sid-1')).resolves.toBe(true);
      await storage.advance(5 * MINUTE);
      await expect(denylist.isDenied('sid-1')).resolves.toBe(false);
    });

    it('ignores a denial whose until has already come', async () => {
      await denylist.deny('sid-now', storage.clock.now());
      await denylist.deny('sid-past', storage.clock.now() - MINUTE);

      await expect(denylist.isDenied('sid-now')).resolves.toBe(false);
      await expect(denylist.isDenied('sid-past')).resolves.toBe(false);
    });

    it('does not cut short a denial when denied again with a past until', async () => {
      await denylist.deny('sid-1', storage.clock.now() + 10 * MINUTE);

      await denylist.deny('sid-1', storage.clock.now() - MINUTE);

      await expect(denylist.isDenied('sid-1')).resolves.toBe(true);
    });

    it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY])(
      'rejects an until of %p with a TypeError',
      async (until) => {
        await expect(denylist.deny('sid-1', until)).rejects.toThrow(TypeError);
        await expect(denylist.isDenied('sid-1')).resolves.toBe(false);
      },
    );

    if (backend.shared) {
      it('shares denials between two instances on the same storage', async () => {
        const other = await storage.open();

        await denylist.deny('sid-1', storage.clock.now() + 10 * MINUTE);

        await expect(other.isDenied('sid-1')).resolves.toBe(true);
      });
    } else {
      it('keeps denials per instance, so a second instance does not see them', async () => {
        const other = await storage.open();

        await denylist.deny('sid-1', storage.clock.now() + 10 * MINUTE);

        await expect(other.isDenied('sid-1')).resolves.toBe(false);
      });
    }
  });
});
