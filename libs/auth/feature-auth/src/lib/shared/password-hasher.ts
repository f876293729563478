import { availableParallelism } from 'node:os';
import argon2 from 'argon2';

/** The port to password hashing, injectable so unit tests can use a fast fake. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password or an unparsable hash; never throws for those. */
  verify(hash: string, password: string): Promise<boolean>;
}

export const PASSWORD_HASHER = Symbol.for('svt.PasswordHasher');

/**
 * argon2id with the OWASP Password Storage Cheat Sheet's first configuration:
 * m = 19 MiB, t = 2, p = 1. The native binding hashes on libuv's thread pool,
 * off the event loop.
 */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * Runs at most `limit` tasks at a time, the rest in arrival order. A task's
 * failure is its caller's; it frees its slot all the same.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new TypeError(`limit must be a positive integer, got ${limit}`);
    }
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      // The slot passes straight to the next in line, or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * How many hashes run at once on a machine of `cores`: one core fewer (one at
 * least). A hash keeps a core busy for its whole duration; with one per core,
 * a burst of logins would leave the event loop waiting for a core behind
 * them, and `/health/live` (and every other answer) with it.
 */
export function hashesAtOnce(cores: number = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

/**
 * Hashes with argon2id, `hashesAtOnce()` at a time: a burst of logins queues
 * here rather than taking every libuv thread (4 by default) and every core,
 * so the event loop, and whatever else needs the thread pool, keeps
 * answering while the hashes run.
 */
export class Argon2PasswordHasher implements PasswordHasher {
  private readonly limit = new ConcurrencyLimit(hashesAtOnce());

  hash(password: string): Promise<string> {
    return this.limit.run(() => argon2.hash(password, ARGON2_OPTIONS));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await this.limit.run(() => argon2.verify(hash, password));
    } catch {
      return false;
    }
  }
}
