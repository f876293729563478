import { assertWindowMs, decideAttempt } from './rate-limit-store';
import type {
  Attempt,
  BackoffPolicy,
  BackoffState,
  RateLimitStore,
  RateLimitWindow,
} from './rate-limit-store';

/** Options for `MemoryRateLimitStore`. */
export interface MemoryRateLimitStoreOptions {
  /** The clock windows close by (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * `RateLimitStore` in a Map of this process, for unit tests: each replica
 * would count on its own, multiplying the limit by their number.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #windows = new Map<string, RateLimitWindow>();
  readonly #backoffs = new Map<string, BackoffState>();
  readonly #now: () => number;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async hit(key: string, windowMs: number): Promise<RateLimitWindow> {
    assertWindowMs(windowMs);
    const now = this.#now();
    const open = this.#openWindow(key, now);
    const window = Object.freeze(
      open === null
        ? { count: 1, resetAt: now + windowMs }
        : { count: open.count + 1, resetAt: open.resetAt },
    );
    this.#windows.set(key, window);
    return window;
  }

  async peek(key: string): Promise<RateLimitWindow | null> {
    return this.#openWindow(key, this.#now());
  }

  async reset(key: string): Promise<void> {
    this.#windows.delete(key);
  }

  async attempt(key: string, policy: BackoffPolicy): Promise<Attempt> {
    const { attempt, next } = decideAttempt(this.#backoffs.get(key) ?? null, policy, this.#now());
    if (next) this.#backoffs.set(key, next);
    return attempt;
  }

  async forgive(key: string): Promise<void> {
    this.#backoffs.delete(key);
  }

  /** The window of `key` unless it has closed; a closed one is dropped on the way. */
  #openWindow(key: string, now: number): RateLimitWindow | null {
    const window = this.#windows.get(key);
    if (window === undefined) return null;
    if (now < window.resetAt) return window;
    this.#windows.delete(key);
    return null;
  }
}
