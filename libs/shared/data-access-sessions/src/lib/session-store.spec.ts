import { sessionEndsAt } from './session-store';

describe('sessionEndsAt', () => {
  it.each([
    ['the idle deadline when it comes first', { lastSeenAt: 1_000, idleTimeoutMs: 500 }, 1_500],
    ['expiresAt when it comes first', { lastSeenAt: 1_000, idleTimeoutMs: 5_000 }, 2_000],
    ['expiresAt when both coincide', { lastSeenAt: 1_000, idleTimeoutMs: 1_000 }, 2_000],
  ])('is %s', (_, idle, endsAt) => {
    expect(sessionEndsAt({ expiresAt: 2_000, ...idle })).toBe(endsAt);
  });
});
