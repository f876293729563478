import type { RateLimitStore } from '@svt/shared/data-access-sessions';

/**
 * Logout tokens are single use (Back-Channel Logout §2.6 step 8 allows the
 * check; we make it): a `jti` is remembered on the shared RATE_LIMIT_STORE
 * for as long as the token could still be accepted, so a replay reaching any
 * replica is refused. `hit` is atomic on every backend: exactly one caller
 * sees the count 1.
 */
export class LogoutReplayCache {
  constructor(
    private readonly store: RateLimitStore,
    /** At least the longest a token is accepted for: its maximum age plus the clock tolerance, both ways. */
    private readonly rememberMs: number,
  ) {}

  /** Whether this is the first use of `jti`; counts it. */
  async firstUse(jti: string): Promise<boolean> {
    const window = await this.store.hit(this.key(jti), this.rememberMs);
    return window.count === 1;
  }

  /** Forgets `jti`: the logout it carried failed, and AUTH may send it again. */
  forget(jti: string): Promise<void> {
    return this.store.reset(this.key(jti));
  }

  private key(jti: string): string {
    return `logout-jti:${jti}`;
  }
}
