/** The time source, injectable so that tests can freeze or move it. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const CLOCK = Symbol.for('svt.Clock');

export const systemClock: Clock = { now: () => Date.now() };
