import { keyReloadIntervalMs, keyTimeline } from './signing-keys.service';

const MINUTE = 60_000;
const RETIRE_AFTER = 11 * MINUTE;

/** Keys newest activation first, as the repository lists them. */
const keys = (...activations: [string, number][]): { kid: string; activatesAt: number }[] =>
  activations.map(([kid, activatesAt]) => ({ kid, activatesAt }));

describe(keyTimeline.name, () => {
  it('signs with the only key and publishes it', () => {
    expect(keyTimeline(keys(['a', 0]), MINUTE, RETIRE_AFTER)).toEqual({
      signing: 'a',
      published: ['a'],
      expired: [],
    });
  });

  describe('while a new key waits for its activation', () => {
    const timeline = keyTimeline(keys(['next', 10 * MINUTE], ['current', 0]), MINUTE, RETIRE_AFTER);

    it('keeps signing with the current key', () => {
      expect(timeline.signing).toBe('current');
    });

    it('already publishes the new one, so verifiers hold it before any token uses it', () => {
      expect(timeline.published).toEqual(['next', 'current']);
    });
  });

  describe('once the new key is active', () => {
    it('signs with it and keeps the old key published until its tokens have expired', () => {
      const now = 10 * MINUTE + RETIRE_AFTER - 1;
      expect(keyTimeline(keys(['next', 10 * MINUTE], ['old', 0]), now, RETIRE_AFTER)).toEqual({
        signing: 'next',
        published: ['next', 'old'],
        expired: [],
      });
    });

    it('drops the old key after the longest token lifetime', () => {
      const now = 10 * MINUTE + RETIRE_AFTER;
      expect(keyTimeline(keys(['next', 10 * MINUTE], ['old', 0]), now, RETIRE_AFTER)).toEqual({
        signing: 'next',
        published: ['next'],
        expired: ['old'],
      });
    });
  });

  it('times each retired key from its own successor', () => {
    const now = 20 * MINUTE;
    const timeline = keyTimeline(
      keys(['c', 15 * MINUTE], ['b', 5 * MINUTE], ['a', 0]),
      now,
      RETIRE_AFTER,
    );
    expect(timeline).toEqual({ signing: 'c', published: ['c', 'b'], expired: ['a'] });
  });

  it('publishes everything and signs with nothing when no key is active yet', () => {
    expect(keyTimeline(keys(['a', 5 * MINUTE]), MINUTE, RETIRE_AFTER)).toEqual({
      signing: null,
      published: ['a'],
      expired: [],
    });
  });
});

describe(keyReloadIntervalMs.name, () => {
  it.each([
    [120, 30_000],
    [60, 15_000],
    [2, 1_000],
    [0, 1_000],
  ])('reloads every %p s of activation delay → %p ms', (delay, expected) => {
    expect(keyReloadIntervalMs(delay)).toBe(expected);
  });
});
