import type { RateLimitStore } from './lib/rate-limit-store';

/** A `RateLimitStore` whose every call fails as an unreachable server's would, for fail-closed tests. */
export function unreachableRateLimitStore(): RateLimitStore {
  const unreachable = (): Promise<never> => Promise.reject(new Error('ECONNREFUSED'));
  return {
    hit: unreachable,
    peek: unreachable,
    reset: unreachable,
    attempt: unreachable,
    forgive: unreachable,
  };
}
