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
