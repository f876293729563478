import { assertRememberMs } from './replay-cache';
import type { ReplayCache } from './replay-cache';

/** Options for `MemoryReplayCache`. */
export interface MemoryReplayCacheOptions {
  /** The clock ids are forgotten by (default `Date.now`). */
  readonly now?: () => number;
  /** How often, by that clock, every forgotten id is dropped (default 60 s). */
  readonly sweepIntervalMs?: number;
}

/**
 * `ReplayCache` in a Map of this process, for unit tests: each replica would
 * remember on its own, so a replay sent to another one would be taken for a
 * first use. Ids past their time are dropped when met and, all of them, at
 * most every `sweepIntervalMs`, so memory holds only what is remembered.
 */
export class MemoryReplayCache implements ReplayCache {
  /** Id → when it is forgotten (epoch ms). */
  readonly #until = new Map<string, number>();
  readonly #now: () => number;
  readonly #sweepIntervalMs: number;
  #lastSweepAt: number;

  constructor(options: MemoryReplayCacheOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    this.#lastSweepAt = this.#now();
  }

  /** How many ids are held, those past their time but not yet dropped included. */
  get size(): number {
    return this.#until.size;
  }

  async firstUse(id: string, rememberMs: number): Promise<boolean> {
    assertRememberMs(rememberMs);
    const now = this.#now();
    this.#sweepIfDue(now);
    // No await between the check and the write: no other call can interleave.
    const until = this.#until.get(id);
    if (until !== undefined && now < until) return false;
    this.#until.set(id, now + rememberMs);
    return true;
  }

  async forget(id: string): Promise<void> {
    this.#until.delete(id);
  }

  #sweepIfDue(now: number): void {
    if (now - this.#lastSweepAt < this.#sweepIntervalMs) return;
    this.#lastSweepAt = now;
    for (const [id, until] of this.#until) {
      if (until <= now) this.#until.delete(id);
    }
  }
}
