/** A sid denied until `until` (epoch ms). */
export interface Denial {
  readonly sid: string;
  readonly until: number;
}

/**
 * Receives, as they are made, the denials of every process sharing a store,
 * so that a process can answer `isDenied` from memory (see `MirroredDenylist`).
 */
export interface DenialListener {
  /** A denial was made, by any process (this one included). Called at most once per denial. */
  denied(denial: Denial): void;
  /**
   * Delivery may have gaps from now on (the connection dropped, a poll
   * failed): denials made until `resumed` may never arrive. Once per outage.
   */
  lost(): void;
  /**
   * Delivery works again after `lost`. Denials made in the gap were not
   * delivered: reload `inForce()` before trusting what was received.
   */
  resumed(): void;
}

/** A `follow` in progress. */
export interface Following {
  /** Stops delivery: no listener method is called once it resolves. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Revoked session ids (the `sid` claim), so the access and identity tokens of an
 * ended session or token family are refused before their `exp`. Keyed by sid,
 * never by a hash of token bytes (ECDSA signatures are malleable, RFC 8725).
 */
export interface Denylist {
  /**
   * Denies `sid` until `until` (epoch ms), when its tokens have expired anyway.
   * Idempotent; the later `until` wins.
   */
  deny(sid: string, until: number): Promise<void>;
  /** Whether `sid` is denied now. */
  isDenied(sid: string): Promise<boolean>;
  /**
   * The same answer without waiting, when this process holds it in memory
   * (the request path's fast lane); `undefined` when only `isDenied` knows.
   */
  isDeniedFromMemory?(sid: string): boolean | undefined;
  /** The denials in force now (`until` after now), one per sid with its latest `until`, in no order. */
  inForce(): Promise<Denial[]>;
  /**
   * Delivers to `listener` every denial that any process sharing the store
   * makes from now on, this one included; resolves once listening. A caller
   * that follows first and then loads `inForce()` misses none. The caller
   * stops it; until then it may keep a connection or a timer open.
   */
  follow(listener: DenialListener): Promise<Following>;
}

/** Nest injection token for the `Denylist` an app is configured with. */
export const DENYLIST = Symbol.for('svt.Denylist');

/**
 * Throws a TypeError unless `until` is an instant in epoch milliseconds: Redis
 * refuses a fractional PXAT, so every adapter refuses it alike.
 */
export function assertUntil(until: number): void {
  if (!Number.isSafeInteger(until)) {
    throw new TypeError(`until must be an integer epoch millisecond, got ${until}`);
  }
}
