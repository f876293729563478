import { MemoryReplayCache } from '@svt/shared/data-access-sessions';
import { LogoutReplayCache } from './logout-replay';

describe(LogoutReplayCache.name, () => {
  let now: number;
  let cache: LogoutReplayCache;
  beforeEach(() => {
    now = Date.UTC(2026, 0, 1);
    cache = new LogoutReplayCache(new MemoryReplayCache({ now: () => now }), 180_000);
  });

  it('accepts the first use of a jti', async () => {
    await expect(cache.firstUse('jti-1')).resolves.toBe(true);
  });

  it('refuses a replay of the same jti', async () => {
    await cache.firstUse('jti-1');
    await expect(cache.firstUse('jti-1')).resolves.toBe(false);
    await expect(cache.firstUse('jti-1')).resolves.toBe(false);
  });

  it('lets exactly one of many concurrent uses through', async () => {
    const uses = await Promise.all(Array.from({ length: 10 }, () => cache.firstUse('jti-1')));
    expect(uses.filter(Boolean)).toHaveLength(1);
  });

  it('keeps jtis apart', async () => {
    await cache.firstUse('jti-1');
    await expect(cache.firstUse('jti-2')).resolves.toBe(true);
  });

  it('accepts a jti again once forgotten (the logout it carried failed)', async () => {
    await cache.firstUse('jti-1');
    await cache.forget('jti-1');
    await expect(cache.firstUse('jti-1')).resolves.toBe(true);
  });
});
