import type { Denial, DenialListener, Denylist, Following } from './denylist';
import { MemoryDenylist } from './memory-denylist';
import { MirroredDenylist } from './mirrored-denylist';
import { ManualClock } from './testing/contract-harness';
import { eventually } from './testing/denial-recorder';

const MINUTE = 60_000;

/**
 * A source whose feed the test drives: denials are kept in a `MemoryDenylist`,
 * but only the ones announced with `deliver` reach the follower, and the store
 * can be made unreachable.
 */
class ScriptedSource implements Denylist {
  readonly store: MemoryDenylist;
  listener: DenialListener | undefined;
  isDeniedCalls = 0;
  inForceCalls = 0;
  unreachable = false;
  stopped = false;
  /** Runs inside each `inForce`, after the store was read and before the answer is returned. */
  duringInForce: (() => Promise<void>) | undefined;

  constructor(clock: ManualClock) {
    this.store = new MemoryDenylist({ now: clock.now });
  }

  async deny(sid: string, until: number): Promise<void> {
    this.#reach();
    await this.store.deny(sid, until);
  }

  async isDenied(sid: string): Promise<boolean> {
    this.isDeniedCalls++;
    this.#reach();
    return this.store.isDenied(sid);
  }

  async inForce(): Promise<Denial[]> {
    this.inForceCalls++;
    this.#reach();
    const denials = await this.store.inForce();
    await this.duringInForce?.();
    return denials;
  }

  async follow(listener: DenialListener): Promise<Following> {
    this.listener = listener;
    return {
      stop: async () => {
        this.stopped = true;
        this.listener = undefined;
      },
    };
  }

  /** A denial another process made, stored and announced on the feed. */
  async denyElsewhere(sid: string, until: number): Promise<void> {
    await this.store.deny(sid, until);
    this.deliver({ sid, until });
  }

  deliver(denial: Denial): void {
    this.listener?.denied(denial);
  }

  #reach(): void {
    if (this.unreachable) throw new Error('connect ECONNREFUSED');
  }
}

/** Lets settled promises run their callbacks. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe(MirroredDenylist.name, () => {
  let clock: ManualClock;
  let logger: { log: jest.Mock; warn: jest.Mock };
  const mirrors: MirroredDenylist[] = [];

  beforeEach(() => {
    clock = new ManualClock();
    logger = { log: jest.fn(), warn: jest.fn() };
  });

  afterEach(async () => {
    await Promise.all(mirrors.splice(0).map((mirror) => mirror.close()));
  });

  async function mirror(source: Denylist, reloadRetryMs = 10): Promise<MirroredDenylist> {
    const started = await MirroredDenylist.start(source, {
      now: clock.now,
      logger,
      reloadRetryMs,
    });
    mirrors.push(started);
    return started;
  }

  describe('over a MemoryDenylist', () => {
    let source: MemoryDenylist;
    let isDenied: jest.SpyInstance;

    beforeEach(() => {
      source = new MemoryDenylist({ now: clock.now });
      isDenied = jest.spyOn(source, 'isDenied');
    });

    it('answers from memory, never asking the source', async () => {
      const denylist = await mirror(source);

      await denylist.deny('sid-1', clock.now() + 10 * MINUTE);

      await expect(denylist.isDenied('sid-1')).resolves.toBe(true);
      await expect(denylist.isDenied('sid-2')).resolves.toBe(false);
      expect(isDenied).not.toHaveBeenCalled();
    });

    it('loads the denials in force when it starts', async () => {
      await source.deny('sid-before', clock.now() + 10 * MINUTE);

      const denylist = await mirror(source);

      await expect(denylist.isDenied('sid-before')).resolves.toBe(true);
      expect(isDenied).not.toHaveBeenCalled();
    });

    it('sees a denial made elsewhere on the source', async () => {
      const denylist = await mirror(source);

      await source.deny('sid-elsewhere', clock.now() + 10 * MINUTE);

      await expect(denylist.isDenied('sid-elsewhere')).resolves.toBe(true);
      expect(isDenied).not.toHaveBeenCalled();
    });

    it('counts a denial as ended at its until, and forgets it', async () => {
      const denylist = await mirror(source);
      await denylist.deny('sid-1', clock.now() + 10 * MINUTE);

      clock.advance(10 * MINUTE - 1);
      await expect(denylist.isDenied('sid-1')).resolves.toBe(true);
      clock.advance(1);
      await expect(denylist.isDenied('sid-1')).resolves.toBe(false);
      expect(isDenied).not.toHaveBeenCalled();
    });

    it('keeps the later until, whichever order the denials come in', async () => {
      const denylist = await mirror(source);

      await denylist.deny('sid-1', clock.now() + 20 * MINUTE);
      await denylist.deny('sid-1', clock.now() + 10 * MINUTE);

      clock.advance(15 * MINUTE);
      await expect(denylist.isDenied('sid-1')).resolves.toBe(true);
    });

    it('rejects an until that is not an integer, as the source does', async () => {
      const denylist = await mirror(source);

      await expect(denylist.deny('sid-1', 1.5)).rejects.toThrow(TypeError);
      await expect(denylist.isDenied('sid-1')).resolves.toBe(false);
    });

    it('lists and follows through the source', async () => {
      const denylist = await mirror(source);
      const until = clock.now() + 10 * MINUTE;
      const denied = jest.fn();
      const following = await denylist.follow({ denied, lost: jest.fn(), resumed: jest.fn() });

      await source.deny('sid-1', until);
      await following.stop();

      await expect(denylist.inForce()).resolves.toEqual([{ sid: 'sid-1', until }]);
      expect(denied).toHaveBeenCalledWith({ sid: 'sid-1', until });
    });
  });

  describe('over a scripted source', () => {
    let source: ScriptedSource;

    beforeEach(() => {
      source = new ScriptedSource(clock);
    });

    it('follows before it loads, keeping a denial that arrives in between', async () => {
      const start = clock.now();
      await source.store.deny('sid-1', start + 10 * MINUTE);
      source.duringInForce = async () => {
        source.deliver({ sid: 'sid-1', until: start + 20 * MINUTE });
        source.deliver({ sid: 'sid-between', until: start + 20 * MINUTE });
      };

      const denylist = await mirror(source);

      await expect(denylist.isDenied('sid-between')).resolves.toBe(true);
      clock.advance(15 * MINUTE);
      await expect(denylist.isDenied('sid-1')).resolves.toBe(true);
      expect(source.isDeniedCalls).toBe(0);
    });

    it('sees its own denial at once, before its feed delivers it', async () => {
      const denylist = await mirror(source);

      await denylist.deny('sid-1', clock.now() + 10 * MINUTE);

      await expect(denylist.isDenied('sid-1')).resolves.toBe(true);
      expect(source.isDeniedCalls).toBe(0);
    });

    it('rejects a denial the store refuses, and does not count it', async () => {
      const denylist = await mirror(source);
      source.unreachable = true;

      await expect(denylist.deny('sid-1', clock.now() + 10 * MINUTE)).rejects.toThrow(
        'ECONNREFUSED',
      );
      source.unreachable = false;
      await expect(denylist.isDenied('sid-1')).resolves.toBe(false);
    });

    it('ignores a delivered denial that has already ended', async () => {
      const denylist = await mirror(source);

      source.deliver({ sid: 'sid-ended', until: clock.now() });

      await expect(denylist.isDenied('sid-ended')).resolves.toBe(false);
      expect(source.isDeniedCalls).toBe(0);
    });

    it('rejects, having stopped following, when the denials in force cannot be loaded', async () => {
      source.unreachable = true;

      await expect(MirroredDenylist.start(source, { now: clock.now, logger })).rejects.toThrow(
        'ECONNREFUSED',
      );
      expect(source.stopped).toBe(true);
    });

    describe('when the feed is lost', () => {
      it('asks the source, and logs a warning', async () => {
        const denylist = await mirror(source);
        await source.store.deny('sid-unheard', clock.now() + 10 * MINUTE);

        source.listener?.lost();

        await expect(denylist.isDenied('sid-unheard')).resolves.toBe(true);
        await expect(denylist.isDenied('sid-2')).resolves.toBe(false);
        expect(source.isDeniedCalls).toBe(2);
        expect(logger.warn).toHaveBeenCalledTimes(1);
      });

      it('rejects as the source does while the store is unreachable', async () => {
        const denylist = await mirror(source);

        source.listener?.lost();
        source.unreachable = true;

        await expect(denylist.isDenied('sid-1')).rejects.toThrow('ECONNREFUSED');
      });
    });

    describe('when the feed resumes', () => {
      it('reloads the denials in force, those made in the gap included, and answers from memory again', async () => {
        const denylist = await mirror(source);
        source.listener?.lost();
        await source.store.deny('sid-gap', clock.now() + 10 * MINUTE);

        source.listener?.resumed();
        await eventually(() => logger.log.mock.calls.length > 0, 'live again');
        const callsBefore = source.isDeniedCalls;

        await expect(denylist.isDenied('sid-gap')).resolves.toBe(true);
        await expect(denylist.isDenied('sid-2')).resolves.toBe(false);
        expect(source.isDeniedCalls).toBe(callsBefore);
        expect(source.inForceCalls).toBe(2);
      });

      it('keeps asking the source, and retries the reload, until the store answers', async () => {
        const denylist = await mirror(source);
        source.listener?.lost();
        source.unreachable = true;

        source.listener?.resumed();
        await eventually(() => source.inForceCalls >= 3, 'two reloads tried');
        await expect(denylist.isDenied('sid-1')).rejects.toThrow('ECONNREFUSED');
        source.unreachable = false;
        await eventually(() => logger.log.mock.calls.length > 0, 'live again');
        const callsBefore = source.isDeniedCalls;

        await expect(denylist.isDenied('sid-1')).resolves.toBe(false);
        expect(source.isDeniedCalls).toBe(callsBefore);
      });

      it('stays off memory when it is lost again while reloading', async () => {
        const denylist = await mirror(source);
        source.listener?.lost();
        let release: () => void = () => undefined;
        source.duringInForce = () => new Promise((resolve) => (release = resolve));

        source.listener?.resumed();
        await settle();
        source.listener?.lost();
        release();
        await settle();

        await expect(denylist.isDenied('sid-1')).resolves.toBe(false);
        expect(source.isDeniedCalls).toBe(1);
        expect(logger.log).not.toHaveBeenCalled();
      });
    });

    describe('when closed', () => {
      it('stops following, and asks the source from then on, idempotently', async () => {
        const denylist = await mirror(source);

        await denylist.close();
        await denylist.close();

        expect(source.stopped).toBe(true);
        await expect(denylist.isDenied('sid-1')).resolves.toBe(false);
        expect(source.isDeniedCalls).toBe(1);
      });

      it('stops retrying a reload', async () => {
        const denylist = await mirror(source);
        source.listener?.lost();
        source.unreachable = true;
        const listener = source.listener;
        listener?.resumed();
        await eventually(() => source.inForceCalls >= 2, 'a reload tried');

        await denylist.close();
        const calls = source.inForceCalls;
        await new Promise((resolve) => setTimeout(resolve, 50));

        expect(source.inForceCalls).toBe(calls);
      });
    });
  });
});
