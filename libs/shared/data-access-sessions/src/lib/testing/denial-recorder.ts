import type { Denial, DenialListener } from '../denylist';

/**
 * Resolves once `check()` holds, looking every 10 ms; rejects with what `what`
 * says when it still does not after `withinMs`.
 */
export async function eventually(
  check: () => boolean,
  what: string | (() => string),
  withinMs = 1000,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`Not within ${withinMs} ms: ${typeof what === 'string' ? what : what()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A `DenialListener` that records what it is told, for tests to wait on. */
export class DenialRecorder implements DenialListener {
  readonly denials: Denial[] = [];
  /** `lost` and `resumed`, in the order they were reported. */
  readonly signals: ('lost' | 'resumed')[] = [];

  denied(denial: Denial): void {
    this.denials.push(denial);
  }

  lost(): void {
    this.signals.push('lost');
  }

  resumed(): void {
    this.signals.push('resumed');
  }

  /** The sids delivered, in order. */
  get sids(): string[] {
    return this.denials.map((denial) => denial.sid);
  }

  /** Resolves once a denial of `sid` has been delivered; rejects after `withinMs`. */
  deliveryOf(sid: string, withinMs = 1000): Promise<void> {
    return eventually(() => this.sids.includes(sid), `the denial of ${sid} delivered`, withinMs);
  }

  /** Resolves once `signals` holds `expected`; rejects after `withinMs`. */
  signalsToBe(expected: readonly ('lost' | 'resumed')[], withinMs = 1000): Promise<void> {
    return eventually(
      () => this.signals.join() === expected.join(),
      () => `signals ${expected.join()} (got ${this.signals.join()})`,
      withinMs,
    );
  }
}
