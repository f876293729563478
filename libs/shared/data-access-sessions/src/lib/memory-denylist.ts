import { assertUntil } from './denylist';
import type { Denial, DenialListener, Denylist, Following } from './denylist';

/** Options for `MemoryDenylist`. */
export interface MemoryDenylistOptions {
  /** The clock denials end by (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * `Denylist` in a Map of this process, for unit tests: a sid denied by one
 * replica would still pass at the others. Its followers hear of each denial
 * before `deny` resolves, and never lose one.
 */
export class MemoryDenylist implements Denylist {
  readonly #until = new Map<string, number>();
  readonly #listeners = new Set<DenialListener>();
  readonly #now: () => number;

  constructor(options: MemoryDenylistOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async deny(sid: string, until: number): Promise<void> {
    assertUntil(until);
    if (until <= this.#now()) return;
    const current = this.#until.get(sid);
    if (current === undefined || until > current) this.#until.set(sid, until);
    for (const listener of [...this.#listeners]) listener.denied({ sid, until });
  }

  async isDenied(sid: string): Promise<boolean> {
    const until = this.#until.get(sid);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#until.delete(sid);
    return false;
  }

  async inForce(): Promise<Denial[]> {
    const now = this.#now();
    return [...this.#until]
      .filter(([, until]) => until > now)
      .map(([sid, until]) => ({ sid, until }));
  }

  async follow(listener: DenialListener): Promise<Following> {
    // Wrapped, so following twice with one listener gives two independent followings.
    const entry: DenialListener = {
      denied: (denial) => listener.denied(denial),
      lost: () => listener.lost(),
      resumed: () => listener.resumed(),
    };
    this.#listeners.add(entry);
    return {
      stop: async () => {
        this.#listeners.delete(entry);
      },
    };
  }
}
