/**
 * Ids that may be used once, shared by every replica and service on the same
 * backend: DPoP proof `jti`s (RFC 9449, section 11.1) and logout token `jti`s
 * (OpenID Connect Back-Channel Logout 1.0, section 2.6). An id is remembered
 * for the `rememberMs` of the use that was first, at least as long as a
 * message carrying it could still be accepted, and is then forgotten, so the
 * backend stays bounded. Callers namespace their ids (`dpop:…`,
 * `logout-jti:…`). Adapters: `MemoryReplayCache`, `SqliteReplayCache`,
 * `RedisReplayCache`.
 */
export interface ReplayCache {
  /**
   * Whether this is the first use of `id` while it is remembered; true for
   * exactly one caller, whichever replica asks, and then remembers `id` for
   * `rememberMs`. A later use neither answers true nor extends that time.
   * Atomic across replicas. Rejects with a TypeError unless `rememberMs` is a
   * positive whole number of milliseconds.
   */
  firstUse(id: string, rememberMs: number): Promise<boolean>;
  /**
   * Forgets `id`, so its next use is a first use again: the work its message
   * asked for failed, and the sender may retry. Forgetting an unknown id is
   * not an error.
   */
  forget(id: string): Promise<void>;
}

/** Nest injection token for the `ReplayCache` of the shared state. */
export const REPLAY_CACHE = Symbol.for('svt.ReplayCache');

/**
 * Throws a TypeError unless `rememberMs` is a positive whole number of
 * milliseconds: Redis refuses a fractional PX, so every adapter refuses it alike.
 */
export function assertRememberMs(rememberMs: number): void {
  if (!Number.isSafeInteger(rememberMs) || rememberMs <= 0) {
    throw new TypeError(`rememberMs must be a positive integer, got ${rememberMs}`);
  }
}
