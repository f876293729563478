import { MemoryReplayCache } from './memory-replay-cache';
import { ManualClock } from './testing/contract-harness';

describe(MemoryReplayCache.name, () => {
  it('drops every id past its time once the sweep interval has passed, so memory stays bounded', async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache({ now: clock.now, sweepIntervalMs: 60_000 });
    await cache.firstUse('a-forgotten', 1_000);
    await cache.firstUse('b-forgotten', 1_000);
    await cache.firstUse('c-remembered', 500_000);
    clock.advance(30_000);
    await cache.firstUse('d-remembered', 500_000);
    expect(cache.size).toBe(4);

    clock.advance(30_000);
    await cache.firstUse('e-remembered', 500_000);

    expect(cache.size).toBe(3);
    await expect(cache.firstUse('c-remembered', 500_000)).resolves.toBe(false);
  });
});
