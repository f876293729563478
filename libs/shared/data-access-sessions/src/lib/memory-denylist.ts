import { assertUntil } from './denylist';
import type { Denylist } from './denylist';

/** Options for `MemoryDenylist`. */
export interface MemoryDenylistOptions {
  /** The clock denials end by (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * `Denylist` in a Map of this process, for unit tests: a sid denied by one
 * replica would still pass at the others.
 */
export class MemoryDenylist implements Denylist {
  readonly #until = new Map<string, number>();
  readonly #now: () => number;

  constructor(options: MemoryDenylistOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async deny(sid: string, until: number): Promise<void> {
    assertUntil(until);
    if (until <= this.#now()) return;
    const current = this.#until.get(sid);
    if (current === undefined || until > current) this.#until.set(sid, until);
  }

  async isDenied(sid: string): Promise<boolean> {
    const until = this.#until.get(sid);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#until.delete(sid);
    return false;
  }
}
