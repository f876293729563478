import type { Denial, Denylist, Following } from './denylist';
import { MemoryDenylist } from './memory-denylist';
import { RedisDenylist } from './redis-denylist';
import { SqliteDenylist } from './sqlite-denylist';
import {
  contractBackends,
  nothingToClose,
  onOwnClient,
  selfClosing,
} from './testing/contract-harness';
import type { Backend, Storage } from './testing/contract-harness';
import { DenialRecorder } from './testing/denial-recorder';

function denylistBackends(): Backend<Denylist>[] {
  return contractBackends<Denylist>({
    port: 'Denylist',
    memory: {
      name: MemoryDenylist.name,
      open: (now) => nothingToClose(new MemoryDenylist({ now })),
    },
    sqlite: {
      name: SqliteDenylist.name,
      open: async (file, now) => selfClosing(await SqliteDenylist.open(file, { now })),
    },
    redis: {
      name: RedisDenylist.name,
      open: (redis, prefix, now) =>
        onOwnClient(redis, (client) => new RedisDenylist(client, prefix, { now })),
    },
  });
}

const MINUTE = 60_000;

function bySid(denials: readonly Denial[]): Denial[] {
  return [...denials].sort((a, b) => a.sid.localeCompare(b.sid));
}

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

    describe('inForce', () => {
      it('lists nothing when nothing was denied', async () => {
        await expect(denylist.inForce()).resolves.toEqual([]);
      });

      it('lists exactly the denials in force, each with its later until', async () => {
        const start = storage.clock.now();
        await denylist.deny('sid-a', start + 10 * MINUTE);
        await denylist.deny('sid-b', start + 20 * MINUTE);
        await denylist.deny('sid-b', start + 5 * MINUTE);
        await denylist.deny('sid-c', start + 30 * MINUTE);
        await denylist.deny('sid-c', start + 40 * MINUTE);
        await denylist.deny('sid-ends', start + 2 * MINUTE);
        await denylist.deny('sid-past', start - MINUTE);

        await storage.advance(2 * MINUTE);

        expect(bySid(await denylist.inForce())).toEqual([
          { sid: 'sid-a', until: start + 10 * MINUTE },
          { sid: 'sid-b', until: start + 20 * MINUTE },
          { sid: 'sid-c', until: start + 40 * MINUTE },
        ]);
      });
    });

    describe('follow', () => {
      const followings: Following[] = [];
      /** Another process on the same storage, or this one when the storage is per process. */
      let elsewhere: Denylist;

      beforeEach(async () => {
        elsewhere = backend.shared ? await storage.open() : denylist;
      });

      afterEach(async () => {
        await Promise.all(followings.splice(0).map((following) => following.stop()));
      });

      async function follow(recorder: DenialRecorder): Promise<Following> {
        const following = await denylist.follow(recorder);
        followings.push(following);
        return following;
      }

      it(`delivers within 1 s a denial made ${backend.shared ? 'by another instance' : 'here'}`, async () => {
        const recorder = new DenialRecorder();
        await follow(recorder);
        const until = storage.clock.now() + 10 * MINUTE;

        await elsewhere.deny('sid-1', until);

        await recorder.deliveryOf('sid-1', 1000);
        expect(recorder.denials).toEqual([{ sid: 'sid-1', until }]);
        expect(recorder.signals).toEqual([]);
      });

      it('delivers the denials this instance makes too, in order', async () => {
        const recorder = new DenialRecorder();
        await follow(recorder);

        await denylist.deny('sid-1', storage.clock.now() + 10 * MINUTE);
        await denylist.deny('sid-2', storage.clock.now() + 10 * MINUTE);

        await recorder.deliveryOf('sid-2');
        expect(recorder.sids).toEqual(['sid-1', 'sid-2']);
      });

      it('delivers nothing denied before it started', async () => {
        await elsewhere.deny('sid-before', storage.clock.now() + 10 * MINUTE);
        const recorder = new DenialRecorder();
        await follow(recorder);

        await elsewhere.deny('sid-after', storage.clock.now() + 10 * MINUTE);

        await recorder.deliveryOf('sid-after');
        expect(recorder.sids).toEqual(['sid-after']);
      });

      it('stops delivering once stopped, idempotently', async () => {
        const stopped = new DenialRecorder();
        const running = new DenialRecorder();
        const following = await follow(stopped);
        await follow(running);

        await following.stop();
        await following.stop();
        await elsewhere.deny('sid-1', storage.clock.now() + 10 * MINUTE);
        await elsewhere.deny('sid-marker', storage.clock.now() + 10 * MINUTE);

        await running.deliveryOf('sid-marker');
        expect(stopped.denials).toEqual([]);
      });
    });

    if (backend.shared) {
      it('lists the denials another instance made as in force', async () => {
        const other = await storage.open();
        const until = storage.clock.now() + 10 * MINUTE;

        await denylist.deny('sid-1', until);

        await expect(other.inForce()).resolves.toEqual([{ sid: 'sid-1', until }]);
      });

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
        await expect(other.inForce()).resolves.toEqual([]);
      });

      it('delivers its own denials to its followers before deny resolves', async () => {
        const recorder = new DenialRecorder();
        const following = await denylist.follow(recorder);
        const until = storage.clock.now() + 10 * MINUTE;

        await denylist.deny('sid-1', until);

        expect(recorder.denials).toEqual([{ sid: 'sid-1', until }]);
        await following.stop();
      });
    }
  });
});
