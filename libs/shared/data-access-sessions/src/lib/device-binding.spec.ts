import {
  afterProof,
  hasLiveBoundCookie,
  hasLiveChallenge,
  MAX_BOUND_COOKIES,
  MAX_CHALLENGES,
  offeredBinding,
  parseDeviceBinding,
  withChallenge,
} from './device-binding';

const NOW = 1_800_000_000_000;
const KEY = { x: 'x-coordinate', y: 'y-coordinate' };

describe('device binding', () => {
  const offered = offeredBinding({ value: 'c0', expiresAt: NOW + 60_000 });

  it('is offered with one live challenge and no key', () => {
    expect(offered).toEqual({
      version: 1,
      key: null,
      challenges: [{ value: 'c0', expiresAt: NOW + 60_000 }],
      cookies: [],
      refreshes: 0,
    });
    expect(hasLiveChallenge(offered, 'c0', NOW)).toBe(true);
    expect(hasLiveChallenge(offered, 'c0', NOW + 60_000)).toBe(false);
    expect(hasLiveChallenge(offered, 'c1', NOW)).toBe(false);
  });

  it('spends the proven challenge, hands out the next and sets the key and the cookie', () => {
    const registered = afterProof(
      offered,
      {
        spent: 'c0',
        next: { value: 'c1', expiresAt: NOW + 60_000 },
        cookie: { value: 'h1', expiresAt: NOW + 10_000 },
        key: KEY,
      },
      NOW,
    );

    expect(registered).toEqual({
      version: 2,
      key: KEY,
      challenges: [{ value: 'c1', expiresAt: NOW + 60_000 }],
      cookies: [{ value: 'h1', expiresAt: NOW + 10_000 }],
      refreshes: 0,
    });
    expect(hasLiveBoundCookie(registered, 'h1', NOW + 9_999)).toBe(true);
    expect(hasLiveBoundCookie(registered, 'h1', NOW + 10_000)).toBe(false);
  });

  it('counts refreshes and keeps only the latest cookies and challenges, dropping expired ones', () => {
    let binding = afterProof(
      offered,
      {
        spent: 'c0',
        next: { value: 'c1', expiresAt: NOW + 60_000 },
        cookie: { value: 'h1', expiresAt: NOW + 10_000 },
        key: KEY,
      },
      NOW,
    );
    for (let i = 2; i <= 5; i++) {
      binding = withChallenge(binding, { value: `extra${i}`, expiresAt: NOW + 1_000 * i }, NOW);
    }
    expect(binding.challenges).toHaveLength(MAX_CHALLENGES);

    binding = afterProof(
      binding,
      {
        spent: 'extra5',
        next: { value: 'c2', expiresAt: NOW + 60_000 },
        cookie: { value: 'h2', expiresAt: NOW + 20_000 },
        key: KEY,
      },
      NOW + 3_500,
    );
    binding = afterProof(
      binding,
      {
        spent: 'c2',
        next: { value: 'c3', expiresAt: NOW + 60_000 },
        cookie: { value: 'h3', expiresAt: NOW + 30_000 },
        key: KEY,
      },
      NOW + 3_500,
    );

    expect(binding.refreshes).toBe(2);
    expect(binding.version).toBe(8);
    expect(binding.challenges.map((c) => c.value)).toEqual(['extra4', 'c3']);
    expect(binding.cookies.map((c) => c.value)).toEqual(['h2', 'h3']);
    expect(binding.cookies).toHaveLength(MAX_BOUND_COOKIES);
  });

  it('reads back what JSON made of it, and refuses what is not one', () => {
    expect(parseDeviceBinding(JSON.parse(JSON.stringify(offered)))).toEqual(offered);
    expect(() => parseDeviceBinding({ ...offered, key: { x: 1 } })).toThrow(TypeError);
    expect(() => parseDeviceBinding({ ...offered, cookies: [{ value: 'h' }] })).toThrow(TypeError);
    expect(() => parseDeviceBinding(null)).toThrow(TypeError);
  });
});
