import type { ReplayCache } from '@svt/shared/data-access-sessions';

/**
 * Logout tokens are single use (Back-Channel Logout §2.6 step 8 allows the
 * check; we make it): a `jti` is remembered in the shared REPLAY_CACHE for as
 * long as the token could still be accepted, so a replay reaching any replica
 * is refused. Its ids live under `logout-jti:`, apart from other single-use ids.
 */
export class LogoutReplayCache {
  constructor(
    private readonly replays: ReplayCache,
    /** At least the longest a token is accepted for: its maximum age plus the clock tolerance, both ways. */
    private readonly rememberMs: number,
  ) {}

  /** Whether this is the first use of `jti`; remembers it. */
  firstUse(jti: string): Promise<boolean> {
    return this.replays.firstUse(this.key(jti), this.rememberMs);
  }

  /** Forgets `jti`: the logout it carried failed, and AUTH may send it again. */
  forget(jti: string): Promise<void> {
    return this.replays.forget(this.key(jti));
  }

  private key(jti: string): string {
    return `logout-jti:${jti}`;
  }
}
