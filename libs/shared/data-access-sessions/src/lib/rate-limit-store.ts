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
  /**
   * Reserves one attempt at a secret (a password check) under `key`, before
   * the check runs, so that parallel attempts cannot all slip in before the
   * first failure is recorded. Refused, counting nothing, while `key` is
   * blocked. Otherwise the attempt is counted as a failure in advance and,
   * from the `policy.blockFrom`-th in a window on, blocks `key` at once for
   * `firstBlockMs` doubled with each further one, at most `maxBlockMs`.
   * Atomic across replicas. A check that succeeds calls `forgive`.
   */
  attempt(key: string, policy: BackoffPolicy): Promise<Attempt>;
  /** Forgets the attempts and lifts the block of `key` (a check succeeded). */
  forgive(key: string): Promise<void>;
}

/** How attempts at a secret are slowed down (see `RateLimitStore.attempt`). */
export interface BackoffPolicy {
  /** How long attempts are remembered: a window opens with the first one. */
  readonly windowMs: number;
  /** The attempt of a window from which on each one blocks the key (1 or more). */
  readonly blockFrom: number;
  /** How long the `blockFrom`-th attempt blocks; each further one doubles it. */
  readonly firstBlockMs: number;
  /** The longest block. */
  readonly maxBlockMs: number;
}

/** The answer to `RateLimitStore.attempt`. */
export type Attempt =
  | {
      readonly allowed: true;
      /** Which attempt of its window this is, counting from 1. */
      readonly number: number;
      /** How long this attempt blocks the key, should it fail (0: not at all). */
      readonly blockMs: number;
    }
  | {
      readonly allowed: false;
      /** When the block ends (epoch ms). */
      readonly retryAt: number;
    };

/** What a backend keeps for an `attempt` key. */
export interface BackoffState {
  readonly attempts: number;
  /** When the window of attempts closes (epoch ms). */
  readonly windowEndsAt: number;
  /** When the block ends (epoch ms); at or before now, there is none. */
  readonly blockedUntil: number;
}

/**
 * `attempt` as a pure function of the stored state, for the adapters that
 * keep state in this process or in SQL: the answer, and the state to store
 * when the attempt was allowed.
 */
export function decideAttempt(
  state: BackoffState | null,
  policy: BackoffPolicy,
  now: number,
): { readonly attempt: Attempt; readonly next?: BackoffState } {
  assertBackoffPolicy(policy);
  if (state !== null && state.blockedUntil > now) {
    return { attempt: { allowed: false, retryAt: state.blockedUntil } };
  }
  const windowOpen = state !== null && state.windowEndsAt > now;
  const attempts = windowOpen ? state.attempts + 1 : 1;
  const blockMs = backoffBlockMs(attempts, policy);
  return {
    attempt: { allowed: true, number: attempts, blockMs },
    next: {
      attempts,
      windowEndsAt: windowOpen ? state.windowEndsAt : now + policy.windowMs,
      blockedUntil: blockMs > 0 ? now + blockMs : 0,
    },
  };
}

/** How long the `attempts`-th attempt of a window blocks its key (0: not at all). */
export function backoffBlockMs(attempts: number, policy: BackoffPolicy): number {
  const beyond = attempts - policy.blockFrom;
  if (beyond < 0) return 0;
  // Capped exponent: 2^40 times any first block is already past every maximum.
  return Math.min(policy.firstBlockMs * 2 ** Math.min(beyond, 40), policy.maxBlockMs);
}

/** Throws a TypeError unless every duration is a positive whole number of ms and blockFrom ≥ 1. */
export function assertBackoffPolicy(policy: BackoffPolicy): void {
  assertWindowMs(policy.windowMs);
  assertWindowMs(policy.firstBlockMs);
  assertWindowMs(policy.maxBlockMs);
  if (!Number.isSafeInteger(policy.blockFrom) || policy.blockFrom < 1) {
    throw new TypeError(`blockFrom must be a positive integer, got ${policy.blockFrom}`);
  }
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
