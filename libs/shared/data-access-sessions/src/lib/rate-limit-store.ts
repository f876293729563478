/** A counting window: how many hits so far and when it closes (epoch ms). */
export interface RateLimitWindow {
  readonly count: number;
  readonly resetAt: number;
}

/**
 * Counters for rate limits and login back-off, shared by every replica that uses
 * the same backend. A window opens with the first hit on a key and lasts `windowMs`.
 */
export interface RateLimitStore {
  /**
   * Counts one hit on `key`; resolves to the window including this hit.
   * Atomic across replicas.
   */
  hit(key: string, windowMs: number): Promise<RateLimitWindow>;
  /** The open window of `key`, or null; counts nothing. */
  peek(key: string): Promise<RateLimitWindow | null>;
  /** Closes the window of `key` (e.g. after a successful login). */
  reset(key: string): Promise<void>;
}

/** Nest injection token for the `RateLimitStore` an app is configured with. */
export const RATE_LIMIT_STORE = Symbol.for('svt.RateLimitStore');

/**
 * Throws a TypeError unless `windowMs` is a positive whole number of
 * milliseconds: Redis refuses a fractional PEXPIRE, so every adapter refuses it alike.
 */
export function assertWindowMs(windowMs: number): void {
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
    throw new TypeError(`windowMs must be a positive integer, got ${windowMs}`);
  }
}
